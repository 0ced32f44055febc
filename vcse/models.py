"""The service directory, onward referrals with consent, and VCSE contacts.

An onward referral carries a *snapshot* of the minimal data set the person agreed to share
(``shared``): VCSE staff read the snapshot, never the person's record, so nothing clinical can
reach them by a join. Rules about what may change and when live in vcse/services.py and
vcse/states.py.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from config import limits
from pcns.models import Membership, Organisation, TenantOwned
from referrals.models import Person, Referral
from vcse.codes import (
    ClosureOutcome,
    ConsentGiver,
    DeclineReason,
    MessageSide,
    OnwardEventKind,
    OnwardStatus,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)


def _categories(**extra) -> ArrayField:
    return ArrayField(models.CharField(max_length=30, choices=SupportCategory.choices),
                      default=list, **extra)


class Service(TenantOwned):
    """A service a VCSE organisation offers, as listed in the tenant's directory."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="services", limit_choices_to={"kind": "vcse"})
    name = models.CharField(max_length=200)
    description = limits.text_field("description", limits.NOTE, blank=True)
    categories = _categories()
    eligibility = limits.text_field("eligibility", limits.NOTE, blank=True,
                                    help_text="Who the service is for.")
    areas = models.ManyToManyField(
        Organisation, through="ServiceArea", related_name="services_in_area", blank=True,
        help_text="The PCNs the service covers; none means the whole place.",
    )
    area_note = models.CharField(max_length=200, blank=True,
                                 help_text="For example: S2 and S8 postcodes, or city-wide.")
    is_open = models.BooleanField("open to referrals", default=True)
    capacity_note = models.CharField(max_length=300, blank=True,
                                     help_text="For example: about a 3-week wait in winter.")
    is_published = models.BooleanField(
        "published in the open directory feed", default=True,
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    website = models.URLField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            *limits.length_constraints("service", {
                "description": limits.NOTE, "eligibility": limits.NOTE}),
            models.UniqueConstraint(fields=["tenant", "organisation", "name"],
                                    name="service_name_unique_per_organisation"),
        ]
        indexes = [models.Index(fields=["tenant", "organisation"])]

    def __str__(self) -> str:
        return self.name


class ServiceArea(TenantOwned):
    service = models.ForeignKey(Service, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "organisation"],
                                    name="service_area_unique"),
        ]


class OnwardReferral(TenantOwned):
    """A referral from a person's care to a VCSE service, sent with their consent.

    ``organisation`` is the service's organisation when sent, so the partner's inbox and every
    access check scope on one column. ``shared`` is what was shared, as it was when sent.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT,
                                 related_name="onward_referrals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="onward_referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT,
                                related_name="onward_referrals")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT,
                                     related_name="onward_referrals_received")
    sent_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    reason = limits.text_field("reason for the onward referral", limits.REASON)
    needs = _categories()
    shared = models.JSONField(help_text="The minimal data set shared, as it was when sent.")
    status = models.CharField(max_length=20, choices=OnwardStatus.choices,
                              default=OnwardStatus.SENT)
    responded_on = models.DateField(null=True, blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = limits.text_field("decline note", limits.NOTE, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=30, choices=ClosureOutcome.choices, blank=True)
    outcome_note = limits.text_field("note for the referrer", limits.NOTE, blank=True)
    flagged_unanswered_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the sender and the partner's leads were told it had no answer.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            *limits.length_constraints("onward_referral", {
                "reason": limits.REASON, "decline_note": limits.NOTE,
                "outcome_note": limits.NOTE}),
            models.CheckConstraint(
                condition=Q(responded_on__isnull=True) | Q(responded_on__gte=F("sent_on")),
                name="onward_referral_responded_after_sent",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("sent_on")),
                name="onward_referral_closed_after_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "organisation", "status"]),
            models.Index(fields=["tenant", "referral"]),
            models.Index(fields=["tenant", "status", "sent_on"]),
        ]

    def __str__(self) -> str:
        return f"Onward referral sent {self.sent_on:%d/%m/%Y}"

    @property
    def reference(self) -> str:
        """A short reference both sides can quote (on the phone, in an email): not personal."""
        return f"OR-{self.pk.hex[:8].upper()}"


class Consent(TenantOwned):
    """The person's consent to share their details with one organisation for one purpose.

    Withdrawing it (``withdrawn_on``) withdraws the onward referral and ends the partner's access.
    Reaching ``expires_on`` ends the partner's access too (vcse.selectors.inbox_for_user); the
    referring side sees the end date and can ask again.
    """

    onward_referral = models.OneToOneField(OnwardReferral, on_delete=models.PROTECT,
                                           related_name="consent")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    given_by = models.CharField(max_length=20, choices=ConsentGiver.choices)
    given_by_name = models.CharField(
        max_length=200, blank=True, help_text="The name of whoever consented for the person.",
    )
    given_on = models.DateField()
    purpose = models.CharField(max_length=300)
    expires_on = models.DateField("consent lasts until")
    includes_risk = models.BooleanField("risk information may be shared", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                              on_delete=models.PROTECT, related_name="+")
    withdrawal_note = limits.text_field("withdrawal note", limits.NOTE, blank=True)

    class Meta:
        constraints = [
            limits.length_constraint("consent", "withdrawal_note", limits.NOTE),
            models.CheckConstraint(condition=Q(expires_on__gte=F("given_on")),
                                   name="consent_expires_after_given"),
        ]

    def __str__(self) -> str:
        return f"Consent given {self.given_on:%d/%m/%Y}"


class VcseContact(TenantOwned):
    """A contact a VCSE worker logged against an onward referral, with the support given."""

    onward_referral = models.ForeignKey(OnwardReferral, on_delete=models.PROTECT,
                                        related_name="contacts")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="vcse_contacts")
    on = models.DateField("date")
    mode = models.CharField(max_length=20, choices=VcseContactMode.choices)
    attendance = models.CharField(max_length=20, choices=VcseAttendance.choices)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    support_types = _categories()
    note = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=720),
                name="vcse_contact_duration_at_most_12_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "onward_referral"]),
            models.Index(fields=["tenant", "organisation", "on"]),
        ]

    def __str__(self) -> str:
        return f"VCSE contact on {self.on:%d/%m/%Y}"


class OnwardReferralEvent(TenantOwned):
    """Append-only: every step of an onward referral (who, when, from, to, why)."""

    onward_referral = models.ForeignKey(OnwardReferral, on_delete=models.PROTECT,
                                        related_name="events")
    at = models.DateTimeField(default=timezone.now)
    effective_on = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=OnwardEventKind.choices)
    from_status = models.CharField(max_length=20, choices=OnwardStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OnwardStatus.choices)
    details = models.JSONField(default=dict, blank=True,
                               help_text="What the timeline shows (a reason, an outcome); never "
                               "the person's details.")

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["tenant", "onward_referral", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on:%d/%m/%Y}"


class OnwardMessage(TenantOwned):
    """A message about one onward referral between the referring team and the partner
    organisation: plain text, for arranging support, never clinical data. Append-only.

    ``organisation`` is the partner's (as on the onward referral), so the partner's side scopes
    on one column as elsewhere. ``notified_at`` is set when the other side is emailed, once.
    """

    onward_referral = models.ForeignKey(OnwardReferral, on_delete=models.PROTECT,
                                        related_name="messages")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=20, choices=MessageSide.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    author_label = models.CharField(max_length=200, help_text="Name at the time.")
    body = limits.text_field("message", limits.MESSAGE)
    sent_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the other side was emailed about it.")

    class Meta:
        ordering = ["sent_at"]
        constraints = [limits.length_constraint("onward_message", "body", limits.MESSAGE)]
        indexes = [models.Index(fields=["tenant", "onward_referral", "sent_at"])]

    def __str__(self) -> str:
        return f"Message sent {self.sent_at:%d/%m/%Y %H:%M}"
