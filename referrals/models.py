"""People and their referrals: intake, triage, allocation and the append-only event log.

Rules about what may change and when live in referrals/services.py and referrals/states.py; the
models hold the data, the database constraints that back those rules, and nothing else.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from config import limits
from pcns.models import Membership, Organisation, Team, TenantOwned
from referrals.codes import (
    ContactMethod,
    DischargeReason,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    RedirectDestination,
    RejectionReason,
    Sex,
    Source,
    Urgency,
)
from referrals.states import OPEN_STATUSES, EventKind, Status


class PostcodeArea(TenantOwned):
    """A postcode's lower-layer super output area (LSOA) and its deprivation (IMD) decile.

    Loaded by each tenant (``manage.py load_postcodes``); people's deciles are looked up here.
    """

    postcode = models.CharField(max_length=8, help_text="Upper case with one space: S1 2HE.")
    lsoa_code = models.CharField("LSOA code", max_length=9)
    imd_decile = models.PositiveSmallIntegerField(
        "IMD decile", validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 is the most deprived tenth of areas in England.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "postcode"], name="postcode_unique_in_tenant"
            ),
            models.CheckConstraint(
                condition=Q(imd_decile__gte=1, imd_decile__lte=10), name="postcode_decile_1_to_10"
            ),
        ]

    def __str__(self) -> str:
        return self.postcode


class Person(TenantOwned):
    """Someone referred to the service. Identifiable: every view and change is audited."""

    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    nhs_number_missing_reason = models.CharField(
        max_length=20, choices=NhsNumberMissingReason.choices, blank=True
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=20, choices=Sex.choices)
    gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.NOT_STATED)
    ethnicity = models.CharField(
        max_length=2, choices=EthnicCategory.choices, default=EthnicCategory.NOT_STATED
    )
    postcode = models.CharField(max_length=8, blank=True)
    lsoa_code = models.CharField("LSOA code", max_length=9, blank=True)
    imd_decile = models.PositiveSmallIntegerField("IMD decile", null=True, blank=True)
    registered_practice = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="patients",
        limit_choices_to={"kind": "gp_practice"},
    )
    interpreter_needed = models.BooleanField(default=False)
    language = models.CharField("main language", max_length=60, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    preferred_contact_method = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.TELEPHONE
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records",
        help_text="Set when an administrator merged this duplicate into another record.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "nhs_number"],
                condition=~Q(nhs_number="") & Q(merged_into__isnull=True),
                name="person_nhs_number_unique_in_tenant",
            ),
            models.CheckConstraint(
                condition=~Q(nhs_number="") | ~Q(nhs_number_missing_reason=""),
                name="person_nhs_number_or_reason",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "date_of_birth"])]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class PersonMerge(TenantOwned):
    """An administrator merged ``merged`` into ``kept``; ``undone_at`` is set if it was reversed.

    ``moved_referrals`` lists the referral ids moved, so undoing moves exactly those back.
    """

    kept = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="merges_merged")
    moved_referrals = ArrayField(models.UUIDField(), default=list)
    reason = models.CharField(max_length=300)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-merged_at"]


class Referral(TenantOwned):
    """A request for help for one person, received by one team.

    ``received_on`` is the clock start; ``entered_at`` is when it was typed in, which may be weeks
    later (a backlog). ``version`` increases on every change, so two people acting on the same
    referral cannot overwrite each other (see services.lock_referral).
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="referrals")
    source = models.CharField(max_length=20, choices=Source.choices)
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT,
        related_name="referrals_made",
        help_text="The practice or agency that made the referral, where it is one of ours.",
    )
    received_on = models.DateField("date received")
    entered_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    presenting_needs = ArrayField(
        models.CharField(max_length=30, choices=PresentingNeed.choices), default=list
    )
    reason = limits.text_field("reason for referral", limits.REASON, blank=True)
    identity_checked = models.BooleanField(
        default=True,
        help_text="False for a self-referral made without signing in: who the person says they "
        "are has not been checked yet.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_TRIAGE)

    triage_escalated_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the team's leads were emailed that this urgent or emergency referral "
        "was still not triaged (once: referrals.escalation).",
    )
    triaged_on = models.DateField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redirect_destination = models.CharField(
        max_length=20, choices=RedirectDestination.choices, blank=True
    )
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    decision_note = limits.text_field("decision note", limits.NOTE, blank=True)
    mdt_note = limits.text_field("MDT note", limits.NOTE, blank=True)

    worker = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="allocated",
        verbose_name="named worker",
    )
    joint_workers = models.ManyToManyField(
        Membership, through="JointWorker", related_name="joint_referrals", blank=True
    )
    allocated_on = models.DateField(null=True, blank=True)

    discharged_on = models.DateField(null=True, blank=True)
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharge_destination = models.CharField(
        max_length=200, blank=True,
        help_text="For a step up or down: the service the person moved to.",
    )
    discharge_note = limits.text_field("discharge note", limits.NOTE, blank=True)
    previous_referral = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="re_referrals",
        help_text="The earlier referral this one follows, when received within the re-referral "
        "window after its discharge.",
    )
    episode_id = models.UUIDField(
        default=uuid.uuid4,
        help_text="Shared by a referral and the re-referrals that reopened its episode, so the "
        "care record carries on where it stopped.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            *limits.length_constraints("referral", {
                "reason": limits.REASON, "decision_note": limits.NOTE, "mdt_note": limits.NOTE,
                "discharge_note": limits.NOTE}),
            # Backs the "one open referral per person per team" rule against races.
            models.UniqueConstraint(
                fields=["person", "team"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="referral_one_open_per_person_and_team",
            ),
            models.CheckConstraint(
                condition=Q(triaged_on__isnull=True) | Q(triaged_on__gte=models.F("received_on")),
                name="referral_triaged_after_received",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True)
                | Q(discharged_on__gte=models.F("received_on")),
                name="referral_discharged_after_received",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "team", "status"]),
            models.Index(fields=["tenant", "person"]),
            models.Index(fields=["tenant", "worker", "status"]),
            models.Index(fields=["tenant", "referrer_organisation"]),
            models.Index(fields=["tenant", "episode_id"]),
        ]

    def __str__(self) -> str:
        return f"Referral received {self.received_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class JointWorker(TenantOwned):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE)
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "membership"], name="joint_worker_unique")
        ]


class ReferralEvent(TenantOwned):
    """Append-only: one row for every change of a referral's state (who, when, from, to, why).

    The application role may only INSERT and SELECT this table (pcns.db.APPEND_ONLY_TABLES).
    ``details`` holds what the timeline shows about the change (a team, a destination, a worker),
    never the person's details.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    effective_on = models.DateField(help_text="The date the change took effect.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    reason = limits.text_field("reason", limits.NOTE, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at"]
        constraints = limits.length_constraints("referral_event", {"reason": limits.NOTE})
        indexes = [models.Index(fields=["tenant", "referral", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on:%d/%m/%Y}"


class IntakeRefusal(TenantOwned):
    """A referral refused because the receiving team's intake was paused. Holds no person data."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="intake_refusals")
    pause = models.ForeignKey(
        "pcns.IntakePause", on_delete=models.PROTECT, related_name="refusals"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    received_on = models.DateField()
    refused_at = models.DateTimeField(default=timezone.now)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-refused_at"]


class CorrectionKind(models.TextChoices):
    AMENDED = "amended", "Amended"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Revision(TenantOwned):
    """Append-only: a record as it stood before someone corrected it, with who, when and why.

    One table for every kind of record that can be corrected (a person's details, a referral's
    intake details, each kind of care record), so the earlier version of any of them stays
    readable. ``record_type`` and ``record_id`` name the record; ``prior`` holds the values of
    the fields the correction changed (all its correctable fields for "entered in error"), as
    they were. ``referral`` (when the record belongs to one) lets the timeline link here.
    The application role may only INSERT and SELECT this table (pcns.db.APPEND_ONLY_TABLES).
    """

    record_type = models.CharField(max_length=40)
    record_id = models.UUIDField()
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="revisions"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="revisions"
    )
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    prior = models.JSONField(default=dict)
    fields = ArrayField(models.CharField(max_length=60), default=list)
    reason = limits.text_field("reason", limits.REASON)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)

    class Meta:
        ordering = ["at"]
        constraints = limits.length_constraints("revision", {"reason": limits.REASON})
        indexes = [
            models.Index(fields=["tenant", "record_type", "record_id"]),
            models.Index(fields=["tenant", "referral"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.at:%d/%m/%Y}"
