"""Reads of people and referrals, scoped to the user before anything else.

Who sees a referral: clinical staff see the referrals of their own teams and those they are
allocated to (named or joint worker). Peer support workers and community connectors see only
those they are allocated to or referred on to a VCSE service, unless their tenant widens it to
their teams (``sees_allocated_only``). Practice staff see only the status of referrals their
practice made (``practice_referral_list``). VCSE staff, programme managers and administrators see
no referrals here (administrators see people, to merge duplicates).
``*_get_for_user`` raises 404 for missing and for not-yours alike.
"""

from __future__ import annotations

import datetime as dt
import difflib
import uuid

from django.apps import apps
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
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

from pcns.audit import person_of_targets, person_record_targets
from pcns.models import AuditEvent, Membership, Team, TeamKind, TeamMembership, User
from pcns.roles import ADMIN_ROLES, ALLOCATED_ONLY_ROLES, CLINICAL_ROLES, PRACTICE_ROLES
from pcns.selectors import _membership_or_404, audit_events_about
from referrals import hooks
from referrals.codes import Urgency
from referrals.models import JointWorker, Person, PersonMerge, Referral, ReferralEvent
from referrals.states import CASELOAD_STATUSES, UNTRIAGED_STATUSES, Status


def _my_team_ids(membership: Membership):
    return TeamMembership.objects.filter(membership=membership).values("team_id")


def sees_allocated_only(membership: Membership) -> bool:
    """Least privilege for non-clinical roles: peer support workers and connectors open the
    records of the people they work with, not their whole team's, unless the tenant says
    otherwise. Reads the tenant only for those roles (other roles' query counts stay put)."""
    return (membership.role in ALLOCATED_ONLY_ROLES
            and not membership.tenant.non_clinical_team_access)


def referred_on_by(membership: Membership) -> QuerySet[Referral]:
    """Ids of the referrals the member referred on to a VCSE service. Reached through the
    onward referrals' related name: this app may not import vcse."""
    return Referral.objects.filter(tenant_id=membership.tenant_id,
                                   onward_referrals__sent_by_id=membership.user_id).values("pk")


def _visible_referrals_q(membership: Membership) -> Q:
    joint = JointWorker.objects.filter(membership=membership).values("referral_id")
    mine = Q(worker=membership) | Q(pk__in=joint)
    if sees_allocated_only(membership):
        return mine | Q(pk__in=referred_on_by(membership))
    return Q(team_id__in=_my_team_ids(membership)) | mine


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
    longest waiting. One query whatever its length (people, teams and PCNs joined in). Peer
    support workers and connectors see only those they may open (``sees_allocated_only``)."""
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES:
        return Referral.objects.none()
    queue = Referral.objects.filter(
        tenant_id=membership.tenant_id,
        team_id__in=_my_team_ids(membership),
        status__in=UNTRIAGED_STATUSES,
    )
    if sees_allocated_only(membership):
        queue = queue.filter(_visible_referrals_q(membership))
    return (
        queue
        .select_related("person", "team", "team__host")
        .annotate(urgency_rank=_urgency_rank(),
                  **{name: make() for name, make in hooks.queue_annotations.items()})
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
    people recorded with no referral yet (not for roles that see only their allocated people,
    ``sees_allocated_only``); for administrators, everyone (to merge duplicates).
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
    people = people.filter(merged_into__isnull=True)
    if sees_allocated_only(membership):
        # Least privilege: only the people they work with, not everyone without a referral.
        return people.filter(Exists(visible))
    any_referral = Referral.objects.filter(person=OuterRef("pk"))
    return people.filter(Exists(visible) | ~Exists(any_referral))


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
    finds a person known to another team; the match shows identity details only. Roles that see
    only their allocated people match on NHS number and date of birth together."""
    membership = _membership_or_404(user)
    if membership.role not in CLINICAL_ROLES | ADMIN_ROLES:
        return []
    people = Person.objects.filter(tenant_id=membership.tenant_id, merged_into__isnull=True)
    if exclude:
        people = people.exclude(pk=exclude)
    if sees_allocated_only(membership):
        # Least privilege: peer support workers and connectors entering a referral still avoid
        # a duplicate record, but only for someone whose NHS number and date of birth they
        # already hold; they cannot look people up by name across the place.
        if not (nhs_number and date_of_birth):
            return []
        return list(people.filter(nhs_number=nhs_number, date_of_birth=date_of_birth)
                    .select_related("registered_practice"))
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


def person_audit_events(user: User, person: Person) -> QuerySet[AuditEvent]:
    """Who viewed or changed the person or any of their records (referrals, care records,
    onward referrals, consents), and the records merged into theirs, newest first."""
    merged = Person.objects.filter(tenant_id=person.tenant_id, merged_into=person)
    people = [person.pk, *merged.values_list("pk", flat=True)]
    return audit_events_about(user, person_record_targets(people))


def people_with_nhs_number(user: User, nhs_number: str) -> list[Person]:
    """For the audit log (administrators): the person with this NHS number, and any duplicate
    merged into them, kept records first."""
    membership = _membership_or_404(user)
    if membership.role not in ADMIN_ROLES or not nhs_number:
        return []
    return list(Person.objects.filter(tenant_id=membership.tenant_id, nhs_number=nhs_number)
                .order_by(F("merged_into").asc(nulls_first=True), "created_at"))


def audit_log_search(user: User, *, person: Person | None = None, actor: str = "",
                     start: dt.date | None = None, end: dt.date | None = None
                     ) -> QuerySet[AuditEvent]:
    """The tenant's audit log, newest first: about one person and their records (``person``),
    by whoever's name or email contains ``actor``, between two UK dates inclusive."""
    membership = _membership_or_404(user)
    if membership.role not in ADMIN_ROLES:
        return AuditEvent.objects.none()
    if person is not None:
        events = person_audit_events(user, person)
    else:
        events = AuditEvent.objects.filter(tenant_id=membership.tenant_id)
    if actor:
        events = events.filter(Q(actor_label__icontains=actor) | Q(actor__email__icontains=actor))
    if start:
        events = events.filter(at__gte=_start_of(start))
    if end:
        events = events.filter(at__lt=_start_of(end + dt.timedelta(days=1)))
    return events.order_by("-at", "-id")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


#: Kinds of audit target named in the audit log by their own name (staff, teams, places and
#: directory entries: all visible to administrators anyway). Anything else that is not a
#: person's record is named by its kind only.
NAMED_TARGETS = frozenset({"pcns.tenant", "pcns.organisation", "pcns.team", "pcns.membership",
                           "pcns.user", "vcse.service", "pcns.importrun"})


def audit_target_names(user: User, events) -> tuple[dict[tuple[str, str], str], list[Person]]:
    """Readable names for the targets of ``events`` ({(type, id): "referral of Alex Smith"}),
    and the people so named. A query per kind of target, never per row."""
    membership = _membership_or_404(user)
    by_type: dict[str, set[str]] = {}
    for event in events:
        by_type.setdefault(event.target_type, set()).add(event.target_id)
    person_of: dict[tuple[str, str], str] = {}
    names: dict[tuple[str, str], str] = {}
    for target_type, ids in by_type.items():
        for target_id, person_id in person_of_targets(target_type, ids).items():
            person_of[(target_type, target_id)] = str(person_id)
        if target_type in NAMED_TARGETS:
            model = apps.get_model(target_type)
            found = model._default_manager.filter(pk__in=[i for i in ids if _is_uuid(i)])
            names.update({(target_type, str(obj.pk)): f"{model._meta.verbose_name} {obj}"
                          for obj in found})
    people = Person.objects.filter(tenant_id=membership.tenant_id,
                                   pk__in=set(person_of.values())).in_bulk()
    for key, person_id in person_of.items():
        person = people.get(uuid.UUID(person_id))
        if person is None:
            continue
        kind = apps.get_model(key[0])._meta.verbose_name
        names[key] = (person.full_name if kind == "person" else f"{kind} of {person.full_name}")
    return names, list(people.values())


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
