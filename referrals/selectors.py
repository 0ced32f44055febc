"""Reads of people and referrals, scoped to the user before anything else.

Who sees a referral: clinical staff see the referrals of their own teams and those they are
allocated to (named or joint worker). Practice staff see only the status of referrals their
practice made (``practice_referral_list``). VCSE staff, programme managers and administrators see
no referrals here (administrators see people, to merge duplicates).
``*_get_for_user`` raises 404 for missing and for not-yours alike.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from pcns.models import Membership, Team, TeamKind, TeamMembership, User
from pcns.roles import ADMIN_ROLES, CLINICAL_ROLES, PRACTICE_ROLES
from pcns.selectors import _membership_or_404
from referrals.codes import Urgency
from referrals.models import JointWorker, Person, PersonMerge, Referral, ReferralEvent
from referrals.states import CASELOAD_STATUSES, UNTRIAGED_STATUSES, Status


def _my_team_ids(membership: Membership):
    return TeamMembership.objects.filter(membership=membership).values("team_id")


def _visible_referrals_q(membership: Membership) -> Q:
    joint = JointWorker.objects.filter(membership=membership).values("referral_id")
    return Q(team_id__in=_my_team_ids(membership)) | Q(worker=membership) | Q(pk__in=joint)


def referral_list_for_user(user: User) -> QuerySet[Referral]:
    membership = _membership_or_404(user)
    referrals = Referral.objects.filter(tenant_id=membership.tenant_id)
    if membership.role not in CLINICAL_ROLES:
        return referrals.none()
    return referrals.filter(_visible_referrals_q(membership)).select_related(
        "person", "team", "team__host", "worker__user"
    )


def referral_get_for_user(user: User, referral_id: uuid.UUID) -> Referral:
    try:
        return referral_list_for_user(user).get(pk=referral_id)
    except Referral.DoesNotExist:
        raise Http404 from None


def referral_timeline(referral: Referral) -> QuerySet[ReferralEvent]:
    return referral.events.select_related("actor").order_by("at", "id")


def joint_workers(referral: Referral) -> QuerySet[Membership]:
    return Membership.objects.filter(
        tenant_id=referral.tenant_id, jointworker__referral=referral
    ).select_related("user")


def _urgency_rank():
    return Case(
        When(urgency=Urgency.EMERGENCY, then=Value(0)),
        When(urgency=Urgency.URGENT, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


def triage_queue_for_user(user: User) -> QuerySet[Referral]:
    """Referrals awaiting triage (or the MDT) in the user's own teams: most urgent first, then
    longest waiting. One query whatever its length (people, teams and PCNs joined in)."""
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES:
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            tenant_id=membership.tenant_id,
            team_id__in=_my_team_ids(membership),
            status__in=UNTRIAGED_STATUSES,
        )
        .select_related("person", "team", "team__host")
        .annotate(urgency_rank=_urgency_rank())
        .order_by("urgency_rank", "received_on", "entered_at", "id")
    )


def mdt_list(user: User, team: Team) -> QuerySet[Referral]:
    return triage_queue_for_user(user).filter(team=team, status=Status.AWAITING_MDT)


def caseload_for_user(user: User) -> QuerySet[Referral]:
    """Referrals the user holds, as named or joint worker, awaiting assessment or active."""
    membership = _membership_or_404(user)
    joint = JointWorker.objects.filter(membership=membership).values("referral_id")
    return (
        Referral.objects.filter(tenant_id=membership.tenant_id, status__in=CASELOAD_STATUSES)
        .filter(Q(worker=membership) | Q(pk__in=joint))
        .select_related("person", "team")
        .annotate(
            is_named_worker=Case(
                When(worker=membership, then=Value(1)), default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("received_on", "id")
    )


def allocation_candidates(referral: Referral) -> QuerySet[Membership]:
    """Active clinical members of the referral's team, each with their current caseload counts
    (named and joint) across every team."""
    return (
        Membership.objects.filter(
            tenant_id=referral.tenant_id, teams=referral.team, is_active=True,
            role__in=sorted(CLINICAL_ROLES),
        )
        .select_related("user")
        .annotate(
            named_count=Count(
                "allocated", filter=Q(allocated__status__in=sorted(CASELOAD_STATUSES)),
                distinct=True,
            ),
            joint_count=Count(
                "jointworker",
                filter=Q(jointworker__referral__status__in=sorted(CASELOAD_STATUSES)),
                distinct=True,
            ),
        )
        .order_by("user__last_name", "user__first_name")
    )


def referral_teams_for_intake(user: User) -> QuerySet[Team]:
    """Teams the user may receive referrals into: their own active clinical teams."""
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES:
        return Team.objects.none()
    return (
        Team.objects.filter(tenant_id=membership.tenant_id, is_active=True,
                            memberships=membership)
        .exclude(kind=TeamKind.VCSE_SERVICE)
        .select_related("host", "host__parent")
        .order_by("name")
    )


def acceptance_teams(user: User) -> QuerySet[Team]:
    """Teams a referral may be accepted into: any active clinical team of the place."""
    membership = _membership_or_404(user)
    return (
        Team.objects.filter(tenant_id=membership.tenant_id, is_active=True)
        .exclude(kind=TeamKind.VCSE_SERVICE)
        .order_by("name")
    )


def practice_referral_list(user: User) -> QuerySet[Referral]:
    """GP view: the referrals the user's practice made, for their status only."""
    membership = _membership_or_404(user)
    if membership.role not in PRACTICE_ROLES:
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            tenant_id=membership.tenant_id, referrer_organisation_id=membership.employer_id
        )
        .select_related("person", "team")
        .order_by("-received_on", "id")
    )


# --------------------------------------------------------------------------- people


def person_list_for_user(user: User) -> QuerySet[Person]:
    """People the user may see: for clinical staff, those with a referral they can see, and
    people recorded with no referral yet; for administrators, everyone (to merge duplicates).
    Merged duplicates are hidden except from administrators."""
    membership = _membership_or_404(user)
    people = Person.objects.filter(tenant_id=membership.tenant_id).select_related(
        "registered_practice"
    )
    if membership.role in ADMIN_ROLES:
        return people
    if membership.role not in CLINICAL_ROLES:
        return people.none()
    visible = Referral.objects.filter(person=OuterRef("pk")).filter(
        _visible_referrals_q(membership)
    )
    any_referral = Referral.objects.filter(person=OuterRef("pk"))
    return people.filter(merged_into__isnull=True).filter(
        Exists(visible) | ~Exists(any_referral)
    )


def person_get_for_user(user: User, person_id: uuid.UUID) -> Person:
    try:
        return person_list_for_user(user).get(pk=person_id)
    except Person.DoesNotExist:
        raise Http404 from None


def person_referrals_for_user(user: User, person: Person) -> QuerySet[Referral]:
    return referral_list_for_user(user).filter(person=person).order_by("-received_on")


def _name_key(value: str) -> str:
    return "".join(ch for ch in value.lower() if ch.isalpha())


def possible_duplicates(
    user: User,
    *,
    nhs_number: str = "",
    given_name: str = "",
    family_name: str = "",
    date_of_birth: dt.date | None = None,
    exclude: uuid.UUID | None = None,
) -> list[Person]:
    """People already recorded who may be the same person: the same NHS number, or the same
    date of birth and a similar name. Searches the whole place (no wrong door), so intake
    finds a person known to another team; the match shows identity details only."""
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES | ADMIN_ROLES:
        return []
    people = Person.objects.filter(tenant_id=membership.tenant_id, merged_into__isnull=True)
    if exclude:
        people = people.exclude(pk=exclude)
    query = Q(nhs_number=nhs_number) if nhs_number else Q()
    if date_of_birth:
        query |= Q(date_of_birth=date_of_birth)
    if not query:
        return []
    wanted = _name_key(given_name + family_name)
    matches = []
    for person in people.filter(query).select_related("registered_practice")[:200]:
        if nhs_number and person.nhs_number == nhs_number:
            matches.append(person)
            continue
        if not wanted:
            continue
        same_family = _name_key(person.family_name) == _name_key(family_name)
        similarity = difflib.SequenceMatcher(
            None, _name_key(person.given_name + person.family_name), wanted
        ).ratio()
        if same_family or similarity >= 0.75:
            matches.append(person)
    return matches


def merges_for_user(user: User) -> QuerySet[PersonMerge]:
    membership = _membership_or_404(user)
    if membership.role not in ADMIN_ROLES:
        return PersonMerge.objects.none()
    return PersonMerge.objects.filter(tenant_id=membership.tenant_id).select_related(
        "kept", "merged", "merged_by", "undone_by"
    )


def merge_get_for_user(user: User, merge_id: uuid.UUID) -> PersonMerge:
    try:
        return merges_for_user(user).get(pk=merge_id)
    except PersonMerge.DoesNotExist:
        raise Http404 from None


def days_waiting(referral: Referral, today: dt.date | None = None) -> int:
    return ((today or timezone.localdate()) - referral.received_on).days


def referral_with_related(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    return referrals.prefetch_related(
        Prefetch("joint_workers", queryset=Membership.objects.select_related("user"))
    )
