"""Reads of care records, scoped to the user before anything else.

A care record is visible to whoever may see its referral (referrals.selectors: clinical staff of
the referral's team, and its named and joint workers). A contact with no referral is visible to
the members of its team. VCSE staff, practice staff, programme managers and administrators see
none. ``*_get_for_user`` raises 404 for missing and for not-yours alike.

Records are read per *episode*: a re-referral that reopened an episode shares the earlier
referral's ``episode_id``, and its care record carries on from the earlier one.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from caseload.codes import Attendance
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from pcns.models import Membership, Team, TeamMembership, User
from pcns.roles import CLINICAL_ROLES, LEAD_ROLES
from pcns.selectors import _membership_or_404
from referrals import selectors as referral_selectors
from referrals.models import JointWorker, Referral
from referrals.states import CASELOAD_STATUSES, Status

#: Caseload flags (My caseload): thresholds in days.
NO_CONTACT_DAYS = 28


def _today() -> dt.date:
    return timezone.localdate()


def _clinical_membership(user: User) -> Membership | None:
    membership = _membership_or_404(user)
    return membership if membership.role in CLINICAL_ROLES else None


def _visible_referral_ids(user: User):
    return referral_selectors.referral_list_for_user(user).values("pk")


def _get(queryset: QuerySet, pk: uuid.UUID):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError):
        raise Http404 from None


# --------------------------------------------------------------------------- lists for a user


def contacts_for_user(user: User) -> QuerySet[Contact]:
    membership = _clinical_membership(user)
    if membership is None:
        return Contact.objects.none()
    my_teams = TeamMembership.objects.filter(membership=membership).values("team_id")
    return (
        Contact.objects.filter(tenant_id=membership.tenant_id)
        .filter(Q(referral__in=_visible_referral_ids(user))
                | Q(referral__isnull=True, team_id__in=my_teams))
        .select_related("staff__user", "team", "referral", "organisation")
        .order_by("-on", "-at", "-recorded_at")
    )


def _on_visible_referrals(model, user: User) -> QuerySet:
    membership = _clinical_membership(user)
    if membership is None:
        return model.objects.none()
    return model.objects.filter(tenant_id=membership.tenant_id,
                                referral__in=_visible_referral_ids(user))


def assessments_for_user(user: User) -> QuerySet[Assessment]:
    return _on_visible_referrals(Assessment, user).select_related("assessor__user").order_by(
        "-assessed_on", "-recorded_at")


def care_plans_for_user(user: User) -> QuerySet[CarePlan]:
    return _on_visible_referrals(CarePlan, user).select_related("referral").order_by(
        "-created_at")


def interventions_for_user(user: User) -> QuerySet[Intervention]:
    return _on_visible_referrals(Intervention, user).select_related(
        "delivered_by__user").order_by("-started_on", "-recorded_at")


def outcome_measures_for_user(user: User) -> QuerySet[OutcomeMeasure]:
    return _on_visible_referrals(OutcomeMeasure, user).order_by("-completed_on", "-recorded_at")


def risk_concerns_for_user(user: User) -> QuerySet[RiskConcern]:
    return _on_visible_referrals(RiskConcern, user).select_related(
        "raised_by", "acknowledged_by", "referral__person", "referral__team")


def contact_get_for_user(user: User, contact_id: uuid.UUID) -> Contact:
    return _get(contacts_for_user(user), contact_id)


def assessment_get_for_user(user: User, assessment_id: uuid.UUID) -> Assessment:
    return _get(assessments_for_user(user), assessment_id)


def care_plan_get_for_user(user: User, plan_id: uuid.UUID) -> CarePlan:
    return _get(care_plans_for_user(user), plan_id)


def intervention_get_for_user(user: User, intervention_id: uuid.UUID) -> Intervention:
    return _get(interventions_for_user(user), intervention_id)


def outcome_measure_get_for_user(user: User, measure_id: uuid.UUID) -> OutcomeMeasure:
    return _get(outcome_measures_for_user(user), measure_id)


def risk_concern_get_for_user(user: User, concern_id: uuid.UUID) -> RiskConcern:
    return _get(risk_concerns_for_user(user), concern_id)


# --------------------------------------------------------------------------- one episode


def _episode(referral: Referral) -> Q:
    return Q(tenant_id=referral.tenant_id, referral__episode_id=referral.episode_id)


def episode_referrals(referral: Referral) -> QuerySet[Referral]:
    return Referral.objects.filter(tenant_id=referral.tenant_id,
                                   episode_id=referral.episode_id).order_by("received_on")


def episode_contacts(referral: Referral) -> QuerySet[Contact]:
    return Contact.objects.filter(_episode(referral)).select_related("staff__user").order_by(
        "-on", "-at", "-recorded_at")


def episode_assessments(referral: Referral) -> QuerySet[Assessment]:
    return Assessment.objects.filter(_episode(referral)).select_related(
        "assessor__user").order_by("-assessed_on", "-recorded_at")


def episode_interventions(referral: Referral) -> QuerySet[Intervention]:
    return Intervention.objects.filter(_episode(referral)).select_related(
        "delivered_by__user").order_by("-started_on", "-recorded_at")


def episode_outcome_measures(referral: Referral) -> QuerySet[OutcomeMeasure]:
    return OutcomeMeasure.objects.filter(_episode(referral)).order_by("completed_on",
                                                                      "recorded_at")


def episode_risk_concerns(referral: Referral) -> QuerySet[RiskConcern]:
    return RiskConcern.objects.filter(_episode(referral)).select_related(
        "raised_by", "acknowledged_by")


def care_plan_of(referral: Referral) -> CarePlan | None:
    """The referral's own plan or, for a reopened episode with none yet, the episode's latest."""
    return (
        CarePlan.objects.filter(_episode(referral))
        .annotate(own=Q(referral=referral))
        .order_by("-own", "-created_at")
        .first()
    )


def care_plan_versions(plan: CarePlan) -> QuerySet[CarePlanVersion]:
    return plan.versions.select_related("recorded_by").order_by("-number")


def care_plan_version(plan: CarePlan, number: int | None = None) -> CarePlanVersion:
    versions = plan.versions.select_related("recorded_by")
    try:
        return versions.get(number=number or plan.version)
    except CarePlanVersion.DoesNotExist:
        raise Http404 from None


# --------------------------------------------------------------------------- caseloads


def _episode_contacts(**filters) -> QuerySet[Contact]:
    return Contact.objects.filter(referral__episode_id=OuterRef("episode_id"),
                                  tenant_id=OuterRef("tenant_id"),
                                  entered_in_error_at__isnull=True, **filters)


def with_care_flags(referrals: QuerySet[Referral], today: dt.date | None = None):
    """Annotate what My caseload shows: last and next contact, the last two outcomes of
    appointments, whether there is an outcome measure, and the care plan's review state.
    Subqueries, so the page takes the same number of queries however long the caseload."""
    today = today or _today()
    seen = _episode_contacts(attendance=Attendance.ATTENDED)
    kept_or_missed = _episode_contacts(
        attendance__in=[Attendance.ATTENDED, Attendance.DNA]
    ).order_by("-on", F("at").desc(nulls_last=True), "-recorded_at").values("attendance")
    plan_versions = CarePlanVersion.objects.filter(
        plan__referral__episode_id=OuterRef("episode_id"), tenant_id=OuterRef("tenant_id"),
        entered_in_error_at__isnull=True,
    ).order_by("-recorded_at")
    return referrals.annotate(
        last_contact_on=Subquery(seen.order_by("-on").values("on")[:1]),
        next_contact_on=Subquery(
            _episode_contacts(attendance=Attendance.BOOKED, on__gte=today)
            .order_by("on", F("at").asc(nulls_last=True)).values("on")[:1]
        ),
        last_outcome=Subquery(kept_or_missed[:1]),
        outcome_before=Subquery(kept_or_missed[1:2]),
        has_outcome_measure=Exists(
            OutcomeMeasure.objects.filter(referral__episode_id=OuterRef("episode_id"),
                                          tenant_id=OuterRef("tenant_id"),
                                          entered_in_error_at__isnull=True)
        ),
        plan_saved_at=Subquery(plan_versions.values("recorded_at")[:1]),
        plan_review_by=Subquery(plan_versions.values("review_by")[:1]),
        last_concern_at=Subquery(
            RiskConcern.objects.filter(referral__episode_id=OuterRef("episode_id"),
                                       tenant_id=OuterRef("tenant_id"),
                                       entered_in_error_at__isnull=True)
            .order_by("-raised_at").values("raised_at")[:1]
        ),
        open_alert=open_concerns_exist(episode=True),
    )


def open_concerns_exist(*, episode: bool = False) -> Exists:
    """An expression for a referral queryset: whether the referral (or, with ``episode``, its
    whole episode) has a risk concern nobody has acknowledged yet, an alert raised by the
    system (caseload.alerts) or a worker's concern. One subquery, so a list keeps its number of
    queries however long it is."""
    unacknowledged = RiskConcern.objects.filter(RiskConcern.open_q(),
                                                tenant_id=OuterRef("tenant_id"))
    if episode:
        return Exists(unacknowledged.filter(referral__episode_id=OuterRef("episode_id")))
    return Exists(unacknowledged.filter(referral_id=OuterRef("pk")))


#: What needs attention on a caseload, by code, from the annotations of ``with_care_flags``.
FLAGS = {
    "open_alert": "Open risk alert",
    "no_recent_contact": f"No contact for {NO_CONTACT_DAYS} days",
    "two_dnas": "Two DNAs in a row",
    "review_due": "Care plan review due",
    "no_outcome_measure": "No baseline outcome measure",
}


def care_flags(referral: Referral, today: dt.date) -> list[str]:
    """The FLAGS codes that apply: a risk concern or alert in the episode not yet acknowledged
    by a lead; no attended contact for more than 28 days (counted from the referral when there
    has been none); the last two appointments missed; the care plan's review-by date has come,
    or a risk concern came after the plan was last saved; no outcome measure in the episode."""
    seen = referral.last_contact_on or referral.received_on
    saved, concern = referral.plan_saved_at, referral.last_concern_at
    checks = {
        "open_alert": referral.open_alert,
        "no_recent_contact": (today - seen).days > NO_CONTACT_DAYS,
        "two_dnas": referral.last_outcome == referral.outcome_before == Attendance.DNA,
        "review_due": saved is not None and (
            (referral.plan_review_by is not None and referral.plan_review_by <= today)
            or (concern is not None and concern > saved)
        ),
        "no_outcome_measure": not referral.has_outcome_measure,
    }
    return [flag for flag in FLAGS if checks[flag]]


def caseload_with_flags(user: User, today: dt.date | None = None) -> QuerySet[Referral]:
    return with_care_flags(referral_selectors.caseload_for_user(user), today)


def teams_led_by(user: User) -> QuerySet[Team]:
    membership = _membership_or_404(user)
    if membership.role not in LEAD_ROLES:
        return Team.objects.none()
    return Team.objects.filter(tenant_id=membership.tenant_id,
                               teammembership__membership=membership).order_by("name")


def team_led_by_user(user: User, team_id: uuid.UUID) -> Team:
    return _get(teams_led_by(user), team_id)


def team_caseload(team: Team) -> QuerySet[Membership]:
    """The team's clinical members with their caseloads in this team: as named worker awaiting
    assessment and active (``named_total``), and as joint worker. A caseload per WTE is left to
    whoever shows it, from ``named_total`` and ``wte`` (which may be unknown)."""

    def named(status: str):
        return Subquery(
            Referral.objects.filter(worker=OuterRef("pk"), team=team, status=status)
            .values("worker").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )

    joint = Subquery(
        JointWorker.objects.filter(membership=OuterRef("pk"), referral__team=team,
                                   referral__status__in=CASELOAD_STATUSES)
        .values("membership").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )
    return (
        Membership.objects.filter(tenant_id=team.tenant_id, is_active=True,
                                  role__in=CLINICAL_ROLES, teammembership__team=team)
        .select_related("user")
        .annotate(
            awaiting=Coalesce(named(Status.ALLOCATED), 0),
            active=Coalesce(named(Status.ACTIVE), 0),
            joint=Coalesce(joint, 0),
        )
        .annotate(named_total=F("awaiting") + F("active"))
        .order_by("user__last_name", "user__first_name")
    )


def team_caseload_referrals(team: Team) -> QuerySet[Referral]:
    """The team's allocated and active referrals, for reallocation."""
    return (
        Referral.objects.filter(tenant_id=team.tenant_id, team=team,
                                status__in=CASELOAD_STATUSES)
        .select_related("person", "worker__user")
        .annotate(open_alert=open_concerns_exist(episode=True))
        .order_by("worker__user__last_name", "received_on")
    )


def unallocated_count(team: Team) -> int:
    return Referral.objects.filter(tenant_id=team.tenant_id, team=team,
                                   status=Status.ACCEPTED).count()


# --------------------------------------------------------------------------- risk concerns


def team_leads(team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(
        tenant_id=team.tenant_id, is_active=True, role__in=LEAD_ROLES,
        teammembership__team=team,
    ).select_related("user")


def risk_concerns_for_lead(user: User) -> QuerySet[RiskConcern]:
    """Concerns on referrals of the teams the user leads: open ones first, newest first."""
    teams = teams_led_by(user)
    return (
        RiskConcern.objects.filter(referral__team__in=teams)
        .select_related("raised_by", "acknowledged_by", "referral__person", "referral__team")
        .order_by(F("acknowledged_at").desc(nulls_first=True), "-raised_at")
    )


def open_risk_concern_count(user: User) -> int:
    return risk_concerns_for_lead(user).filter(RiskConcern.open_q()).count()

