"""Care records for an allocated referral: contacts, assessments, care plans (with versions),
interventions, outcome measures and risk concerns.

Each record belongs to one referral (contacts may have none: advice to a GP) and carries its
tenant. Rules about what may be recorded, by whom and when live in caseload/services.py; each
record also appends a referral event, so the referral's timeline shows every step of care.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from caseload.codes import (
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
    OutcomeTool,
)
from config import limits
from pcns.models import Membership, Organisation, Role, Team, TenantOwned
from referrals.models import Referral


class Recorded(TenantOwned):
    """Who typed a record in, and when (the record's own date says when care happened)."""

    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: Set (with a reason in referrals.Revision) when the record should never have been made:
    #: it stays visible, struck through, and leaves every metric (caseload/corrections.py).
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Contact(Recorded):
    """An appointment or contact: booked first (``attendance`` = booked), then given an outcome.

    ``referral`` is empty for activity with no referral behind it (advice to a GP about someone
    not referred); such a contact belongs to ``team`` alone. ``staff_role`` keeps the staff
    member's role on the day, for activity by role.
    """

    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="contacts")
    staff = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="contacts")
    staff_role = models.CharField(max_length=30, choices=Role.choices)
    on = models.DateField("date")
    at = models.TimeField("time", null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    mode = models.CharField(max_length=20, choices=ContactMode.choices)
    attendance = models.CharField(max_length=30, choices=Attendance.choices)
    direct = models.BooleanField(
        default=True, help_text="Direct: with the person. Indirect: about them, without them."
    )
    purpose = models.CharField(max_length=30, choices=ContactPurpose.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="For a contact with no referral: the practice or agency advised.",
    )
    note = limits.text_field("note", limits.NOTE, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["on", "at", "recorded_at"]
        constraints = [
            limits.length_constraint("contact", "note", limits.NOTE),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=720),
                name="contact_duration_at_most_12_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "referral", "on"]),
            models.Index(fields=["tenant", "team", "on"]),
            models.Index(fields=["tenant", "staff", "on"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} contact on {self.on:%d/%m/%Y}"


class Assessment(Recorded):
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=30, choices=AssessmentKind.choices)
    assessed_on = models.DateField()
    assessor = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = limits.text_field("summary", limits.NOTE)
    risk_summary = limits.text_field(
        "risk summary", limits.NOTE, blank=True,
        help_text="Risks to the person and others, and what keeps them safe.",
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["assessed_on", "recorded_at"]
        constraints = limits.length_constraints("assessment", {
            "summary": limits.NOTE, "risk_summary": limits.NOTE})
        indexes = [models.Index(fields=["tenant", "referral", "assessed_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.assessed_on:%d/%m/%Y}"


class CarePlan(TenantOwned):
    """One referral's care plan. Its content lives in versions; each save adds one."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="care_plan")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, help_text="The number of its latest version.")

    def __str__(self) -> str:
        return "Care plan"


class CarePlanVersion(Recorded):
    """Append-only: one saved version of a care plan. ``agreed_on`` is empty for a draft."""

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    goals = ArrayField(limits.text_field("goal", limits.GOAL), default=list)
    co_produced_with = ArrayField(
        models.CharField(max_length=30, choices=CoProducer.choices), default=list
    )
    agreed_on = models.DateField(null=True, blank=True)
    review_trigger = limits.text_field(
        "review trigger", limits.REASON,
        help_text="What should prompt a review, in place of a fixed date.",
    )
    review_by = models.DateField(null=True, blank=True, help_text="Only if a date was agreed.")
    safety_plan = limits.text_field(
        "safety plan", limits.NOTE,
        help_text="Warning signs, what helps, and who to contact in a crisis.",
    )

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            *limits.length_constraints("care_plan_version", {
                "review_trigger": limits.REASON, "safety_plan": limits.NOTE}),
            models.UniqueConstraint(fields=["plan", "number"], name="care_plan_version_unique"),
        ]

    def __str__(self) -> str:
        return f"Care plan version {self.number}"


class Intervention(Recorded):
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="interventions"
    )
    kind = models.CharField(max_length=30, choices=InterventionKind.choices)
    description = models.CharField(max_length=300, blank=True)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    delivered_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["started_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="intervention_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "referral", "started_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started_on:%d/%m/%Y}"


class OutcomeMeasure(Recorded):
    """One completed questionnaire. ``score`` and ``subscores`` are computed from ``items`` by
    the service (caseload.codes.TOOLS), never typed in."""

    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, related_name="outcome_measures"
    )
    tool = models.CharField(max_length=10, choices=OutcomeTool.choices)
    completed_on = models.DateField()
    items = ArrayField(models.SmallIntegerField())
    wants_more_help = ArrayField(models.BooleanField(), default=list, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    subscores = models.JSONField(default=dict, blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["completed_on", "recorded_at"]
        indexes = [models.Index(fields=["tenant", "referral", "tool", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.get_tool_display()} on {self.completed_on:%d/%m/%Y}"


class RiskConcern(TenantOwned):
    """A concern about someone's safety, for the team lead to act on: raised by a worker, or
    by the system as an *alert* when an answer signals risk (``rule``: caseload.alerts.RULES).

    An alert has no ``raised_by``; it names the rule and the record that met it (``source_id``:
    an outcome measure or the referral itself), and a rule fires once per source record.
    """

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="risk_concerns")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="Empty for an alert raised by the system.",
    )
    rule = models.CharField(
        max_length=40, blank=True,
        help_text="For an alert: the code of the rule that raised it (caseload.alerts.RULES).",
    )
    source_id = models.UUIDField(
        null=True, blank=True,
        help_text="For an alert: the record that met the rule (an outcome measure, a referral).",
    )
    raised_at = models.DateTimeField(default=timezone.now)
    concern = limits.text_field("concern", limits.NOTE)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    response = limits.text_field("response", limits.NOTE, blank=True,
                                 help_text="What the lead did about it.")
    leads_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the team's leads were emailed (once)."
    )
    version = models.PositiveIntegerField(default=1)
    entered_in_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["tenant", "referral"]),
            models.Index(fields=["tenant", "referral"], condition=Q(acknowledged_at__isnull=True),
                         name="risk_concern_open"),
        ]
        constraints = [
            *limits.length_constraints("risk_concern", {
                "concern": limits.NOTE, "response": limits.NOTE}),
            # A worker raises a concern; the system raises an alert by a rule, from a record.
            models.CheckConstraint(
                condition=(Q(rule="", source_id__isnull=True, raised_by__isnull=False)
                           | (~Q(rule="") & Q(source_id__isnull=False))),
                name="risk_concern_raised_by_someone_or_a_rule",
            ),
            # Raising an alert is idempotent: each rule fires once per source record.
            models.UniqueConstraint(
                fields=["tenant", "rule", "source_id"], condition=~Q(rule=""),
                name="risk_concern_alert_once_per_rule_and_source",
            ),
        ]

    def __str__(self) -> str:
        return "Alert" if self.rule else "Risk concern"

    @property
    def is_alert(self) -> bool:
        return bool(self.rule)

    @classmethod
    def open_q(cls) -> Q:
        """What "open" means everywhere a concern or alert is flagged or counted: nobody has
        acknowledged it, and it was not marked entered in error."""
        return Q(acknowledged_at__isnull=True, entered_in_error_at__isnull=True)

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None and self.entered_in_error_at is None

