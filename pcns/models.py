"""Tenancy, organisations, teams, staff memberships and the audit log.

Every tenant-owned table carries a non-null ``tenant`` column (child rows too) and is protected by
a PostgreSQL row-level security policy (see pcns/rls.py and docs/architecture.md).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class DisclosureMode(models.TextChoices):
    """How programme managers' dashboards show small numbers (METRICS.md section 6)."""

    PUBLICATION = "publication", "Publication: counts of 1 to 4 shown as *, others rounded to 5"
    MANAGEMENT = "management", "Management information: counts of 1 to 4 shown as *, no rounding"


class Tenant(models.Model):
    """A place or system (Sheffield, Leeds): owns data, settings and staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=120)
    re_referral_window_days = models.PositiveSmallIntegerField(
        "re-referral window (days)",
        default=90,
        help_text="A referral received within this many days of a discharge is linked to the "
        "earlier referral, so the person's episode continues rather than starting again.",
    )
    disclosure_mode = models.CharField(
        "small numbers on programme dashboards", max_length=20, choices=DisclosureMode.choices,
        default=DisclosureMode.PUBLICATION,
        help_text="Exports for publication always follow the publication rule.",
    )
    metrics_months = models.PositiveSmallIntegerField(
        "months of figures", default=24,
        validators=[MinValueValidator(12), MaxValueValidator(120)],
        help_text="How many months each metrics refresh computes, ending with the current one.",
    )
    require_two_factor = models.BooleanField(
        "two-factor sign-in for everyone", default=False,
        help_text="Everyone signs in with a code from an authenticator app as well as their "
        "password. Tenant administrators and programme managers always do.",
    )
    escalate_emergency_after_hours = models.PositiveSmallIntegerField(
        "escalate emergency referrals after (hours)", default=4,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text="An emergency referral not triaged this long after it was entered is emailed "
        "to every lead of its team, once.",
    )
    escalate_urgent_after_working_days = models.PositiveSmallIntegerField(
        "escalate urgent referrals after (working days)", default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="An urgent referral not triaged this many working days after it was entered "
        "(same time of day; weekends and bank holidays in England do not count) is emailed to "
        "every lead of its team, once.",
    )
    non_clinical_team_access = models.BooleanField(
        "peer support workers and connectors see their team's people", default=False,
        help_text="Off: peer support workers and community connectors open only the records of "
        "people they are allocated to (named or joint worker) or referred on. On: every person "
        "of their teams, as clinical staff do.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantOwned(models.Model):
    """Base for every table that belongs to one tenant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, editable=False)

    class Meta:
        abstract = True


class OrganisationKind(models.TextChoices):
    ICB = "icb", "Integrated care board"
    PLACE = "place", "Place"
    LCP = "lcp", "Local care partnership"
    PCN = "pcn", "Primary care network"
    GP_PRACTICE = "gp_practice", "GP practice"
    MH_TRUST = "mh_trust", "Mental health trust"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    VCSE = "vcse", "VCSE organisation"
    VCSE_ALLIANCE = "vcse_alliance", "VCSE alliance"
    GP_FEDERATION = "gp_federation", "GP federation"


ods_code_validator = RegexValidator(
    r"^[A-Z0-9]{3,10}$", "Enter an ODS code: 3 to 10 capital letters and digits."
)


class Organisation(TenantOwned):
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    ods_code = models.CharField(
        "ODS code", max_length=10, blank=True, validators=[ods_code_validator]
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    go_live_date = models.DateField(
        "went live in the new model on",
        null=True,
        blank=True,
        help_text="PCNs only: the date the PCN began running the new community model.",
    )
    registered_population = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="PCNs only: patients registered with its practices, for rates per 1,000.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "ods_code"],
                condition=~Q(ods_code=""),
                name="organisation_ods_code_unique_in_tenant",
            ),
            models.CheckConstraint(
                condition=Q(go_live_date__isnull=True) | Q(kind="pcn"),
                name="organisation_go_live_only_for_pcns",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "kind"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.go_live_date and self.kind != OrganisationKind.PCN:
            raise ValidationError({"go_live_date": "Only a PCN has a go-live date."})
        if self.parent_id and self.parent_id == self.id:
            raise ValidationError({"parent": "An organisation cannot be its own parent."})
        if self.parent_id and self.parent.tenant_id != self.tenant_id:
            raise ValidationError({"parent": "Choose an organisation in the same place."})


class IntakePause(TenantOwned):
    """A period when a PCN is closed to new referrals (e.g. to clear a backlog)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="intake_pauses"
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Leave blank while it continues.")
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="intake_pause_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} paused from {self.starts_on}"

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The pause must end on or after its start."})
        if self.organisation_id and self.organisation.kind != OrganisationKind.PCN:
            raise ValidationError({"organisation": "Only a PCN's intake can be paused."})

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class TeamKind(models.TextChoices):
    PCN_TEAM = "pcn_team", "PCN mental health team"
    HUB = "hub", "Hub"
    CITY_WIDE = "city_wide", "City-wide team"
    VCSE_SERVICE = "vcse_service", "VCSE service team"


class Team(TenantOwned):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TeamKind.choices)
    host = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="team_name_unique_in_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MHP = "mhp", "Mental health practitioner"
    CLINICAL_LEAD = "clinical_lead", "Clinical lead"
    PSYCHOLOGIST = "psychologist", "Psychologist"
    PSYCHOTHERAPIST = "psychotherapist", "Psychotherapist"
    CAP = "cap", "Clinical associate psychologist"
    TRAINEE_CAP = "trainee_cap", "Trainee clinical associate psychologist"
    OCCUPATIONAL_THERAPIST = "occupational_therapist", "Occupational therapist"
    PHARMACIST = "pharmacist", "Pharmacist"
    HEALTH_COACH = "health_coach", "Health coach"
    CONNECTOR = "connector", "Community connector"
    PEER_SUPPORT = "peer_support", "Peer support worker"
    VCSE_WORKER = "vcse_worker", "VCSE worker"
    VCSE_LEAD = "vcse_lead", "VCSE lead"
    GP_PRACTICE = "gp_practice", "GP or practice staff"
    PROGRAMME_MANAGER = "programme_manager", "Programme manager"
    TENANT_ADMIN = "tenant_admin", "Tenant administrator"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in. Their place and role come from their Membership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = None
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


wte_validators = [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1.00"))]


class Membership(TenantOwned):
    """A user's place in a tenant: their role, employer and teams.

    Staff are often employed by one organisation and work in another's team (an honorary
    contract); access follows the teams, not the employer.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(max_length=30, choices=Role.choices)
    employer = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="employees",
        verbose_name="employing organisation",
    )
    honorary_contract = models.BooleanField(
        default=False, help_text="Works in a team hosted by an organisation other than employer."
    )
    wte = models.DecimalField(
        "whole-time equivalent", max_digits=3, decimal_places=2, null=True, blank=True,
        validators=wte_validators,
    )
    teams = models.ManyToManyField(Team, through="TeamMembership", related_name="memberships")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(wte__isnull=True) | (Q(wte__gt=0) & Q(wte__lte=1)),
                name="membership_wte_between_0_and_1",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class TeamMembership(TenantOwned):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "team"], name="team_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} in {self.team}"


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_OUT = "sign_out", "Signed out"
    SIGN_IN_REFUSED = "sign_in_refused", "Sign-in refused"
    EXPORT = "export", "Exported"
    INVITE = "invite", "Invited"
    PASSWORD_SET = "password_set", "Set their password"
    RESET_REQUESTED = "reset_requested", "Asked for a password reset"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_SECURITY = "sign_in_security", "Changed sign-in security"


class AuditEvent(TenantOwned):
    """Append-only: who viewed or changed what, and when.

    Written by pcns.services.audit_record in the same transaction as the change it describes. The
    application's database role may only INSERT and SELECT this table; UPDATE and DELETE are
    revoked (see pcns/management/commands/migrate.py), so history cannot be rewritten.
    It holds field names, never field values, so no patient data is copied here.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Name at the time, or the system job.")
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    target_type = models.CharField(max_length=100)
    target_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, blank=True, help_text="Names of fields changed.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display().lower()} {self.target_type}"


class ExternalId(TenantOwned):
    """The id a record had in the system it was imported from (docs/data-formats.md).

    A re-import finds its records here, so it updates them instead of adding copies, and an
    export gives each record back the id it came with.
    """

    kind = models.CharField(max_length=30, help_text="The file: people, referrals, contacts ...")
    external_id = models.CharField(max_length=100)
    record_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "external_id"],
                                    name="external_id_unique_per_kind"),
            models.UniqueConstraint(fields=["tenant", "kind", "record_id"],
                                    name="external_id_one_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    SUCCEEDED = "succeeded", "Imported"
    REJECTED = "rejected", "Not imported: some rows have errors"
    FAILED = "failed", "Failed"


class ImportRun(TenantOwned):
    """One upload of a dataset by a tenant administrator, imported by a background job.

    ``payload`` holds the uploaded zip until the job has read it, then is emptied: the files
    carry people's details and are not kept. ``report`` is what the page shows: counts per file
    and each failing row (file, line, id, column, reason), never a cell's value.
    """

    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=200)
    partial = models.BooleanField(
        "import the rows that pass", default=False,
        help_text="Off: nothing is imported if any row fails.",
    )
    payload = models.BinaryField(default=bytes, editable=False)
    status = models.CharField(max_length=20, choices=ImportStatus.choices,
                              default=ImportStatus.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.file_name}"


class Invitation(TenantOwned):
    """A one-time link emailed to a member of staff so they can set their own password.

    Only a SHA-256 hash of the link's token is stored; the token itself exists only in the email.
    A link works once (``accepted_at``), until ``expires_at``; sending a new invitation ends the
    person's earlier ones (``replaced_at``). Written only by pcns.accounts.invitations.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    accepted_at = models.DateTimeField(null=True, blank=True, editable=False)
    replaced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "user"])]

    def __str__(self) -> str:
        return f"Invitation for {self.user}"


# Single sign-on (pcns/accounts/oidc_models.py) keeps its models beside its code.
from pcns.accounts.oidc_models import SingleSignOn, SingleSignOnIdentity  # noqa: E402, F401
