"""Every write to people and referrals.

Each service owns its transaction, validates, checks the referral's current state through
referrals.states, saves with ``update_fields``, and appends the referral event and the audit event
in the same transaction. Services do not decide who may act; views and the API ask
referrals.permissions first.

Concurrency: a service that changes a referral takes the ``version`` the caller read. The row is
locked (SELECT ... FOR UPDATE) and its version compared, so of two people acting at once the
second gets ``Conflict`` instead of silently overwriting the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from config.exceptions import Conflict
from pcns.models import AuditAction, IntakePause, Membership, Organisation, Team, TeamKind, User
from pcns.roles import CLINICAL_ROLES
from pcns.services import audit_record
from pcns.tenancy import require_tenant_id
from referrals import hooks
from referrals.codes import (
    ContactMethod,
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
from referrals.models import (
    IntakeRefusal,
    JointWorker,
    Person,
    PersonMerge,
    PostcodeArea,
    Referral,
    ReferralEvent,
)
from referrals.states import OPEN_STATUSES, EventKind, Status, check_transition
from referrals.validators import normalise_nhs_number, normalise_postcode

# --------------------------------------------------------------------------- helpers


def _today() -> dt.date:
    return timezone.localdate()


def _label(user: User | None) -> str:
    if user is None:
        return "system"
    return (user.get_full_name() or user.email)[:200]


def require_code(errors: dict, name: str, value: str, choices, *, required: bool = True,
                 missing: str = "Choose an option.") -> None:
    if not value:
        if required:
            errors.setdefault(name, []).append(missing)
        return
    if value not in choices.values:
        errors.setdefault(name, []).append(f"'{value}' is not a known code.")


def raise_errors(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def effective_date(referral: Referral, on: dt.date | None, name: str = "on") -> dt.date:
    """The date a change took effect: today unless given; never in the future or before the
    referral was received."""
    on = on or _today()
    if on > _today():
        raise ValidationError({name: ["The date cannot be in the future."]})
    if on < referral.received_on:
        raise ValidationError(
            {name: [f"The date cannot be before the referral was received "
                    f"({referral.received_on:%d/%m/%Y})."]}
        )
    return on


def lock_referral(referral: Referral, version: int) -> Referral:
    """The referral's row, locked for this transaction, if nobody changed it since ``version``."""
    current = Referral.objects.select_for_update().get(pk=referral.pk)
    if current.version != version:
        raise Conflict(
            "Someone else changed this referral since you read it. "
            "Reload it to see their change, then try again."
        )
    return current


def save_referral(referral: Referral, fields: Iterable[str]) -> None:
    referral.version += 1
    referral.save(update_fields=[*fields, "version"])


def append_event(
    referral: Referral,
    *,
    actor: User | None,
    kind: EventKind,
    from_status: str,
    on: dt.date,
    reason: str = "",
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> ReferralEvent:
    return ReferralEvent.objects.create(
        tenant_id=referral.tenant_id,
        referral=referral,
        effective_on=on,
        actor=actor,
        actor_label=actor_label or _label(actor),
        kind=kind,
        from_status=from_status,
        to_status=referral.status,
        reason=reason,
        details=details or {},
    )


# --------------------------------------------------------------------------- people


@dataclass
class PersonInput:
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    nhs_number: str = ""
    nhs_number_missing_reason: str = ""
    gender: str = Gender.NOT_STATED
    ethnicity: str = EthnicCategory.NOT_STATED
    postcode: str = ""
    registered_practice: Organisation | None = None
    interpreter_needed: bool = False
    language: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    preferred_contact_method: str = ContactMethod.TELEPHONE


def _clean_person(data: PersonInput) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if data.nhs_number:
        try:
            values["nhs_number"] = normalise_nhs_number(data.nhs_number)
        except ValidationError as exc:
            errors["nhs_number"] = exc.messages
        values["nhs_number_missing_reason"] = ""
    else:
        values["nhs_number"] = ""
        values["nhs_number_missing_reason"] = data.nhs_number_missing_reason
        if not data.nhs_number_missing_reason:
            errors["nhs_number"] = [
                "Enter the NHS number, or say why it is not known."
            ]
        else:
            require_code(errors, "nhs_number_missing_reason", data.nhs_number_missing_reason,
                          NhsNumberMissingReason)
    for name in ("given_name", "family_name"):
        value = (getattr(data, name) or "").strip()
        if not value:
            errors[name] = ["Enter the " + name.replace("_", " ") + "."]
        values[name] = value
    if data.date_of_birth is None:
        errors["date_of_birth"] = ["Enter the date of birth."]
    elif data.date_of_birth > _today():
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    elif data.date_of_birth < dt.date(1900, 1, 1):
        errors["date_of_birth"] = ["The date of birth must be after 1 January 1900."]
    values["date_of_birth"] = data.date_of_birth
    require_code(errors, "sex", data.sex, Sex)
    require_code(errors, "gender", data.gender, Gender)
    require_code(errors, "ethnicity", data.ethnicity, EthnicCategory)
    require_code(errors, "preferred_contact_method", data.preferred_contact_method,
                  ContactMethod)
    values.update(sex=data.sex, gender=data.gender, ethnicity=data.ethnicity,
                  preferred_contact_method=data.preferred_contact_method)
    values["postcode"] = ""
    if data.postcode:
        try:
            values["postcode"] = normalise_postcode(data.postcode)
        except ValidationError as exc:
            errors["postcode"] = exc.messages
    practice = data.registered_practice
    if practice is not None and practice.kind != "gp_practice":
        errors["registered_practice"] = ["Choose a GP practice."]
    values["registered_practice"] = practice
    if data.interpreter_needed and not data.language.strip():
        errors["language"] = ["Enter the language the person needs an interpreter for."]
    if data.preferred_contact_method == ContactMethod.EMAIL and not data.email:
        errors.setdefault("email", []).append("Enter an email address to contact them by email.")
    if data.preferred_contact_method in {ContactMethod.TELEPHONE, ContactMethod.TEXT} and (
        not data.phone
    ):
        errors.setdefault("phone", []).append("Enter a phone number to contact them by phone.")
    values.update(
        interpreter_needed=data.interpreter_needed,
        language=data.language.strip(),
        phone=data.phone.strip(),
        email=data.email.strip(),
        address=data.address.strip(),
    )
    raise_errors(errors)
    return values


def _with_deprivation(values: dict[str, Any], tenant_id) -> dict[str, Any]:
    area = (
        PostcodeArea.objects.filter(tenant_id=tenant_id, postcode=values["postcode"]).first()
        if values["postcode"] else None
    )
    values["lsoa_code"] = area.lsoa_code if area else ""
    values["imd_decile"] = area.imd_decile if area else None
    return values


def _nhs_number_taken(tenant_id, nhs_number: str, exclude_pk=None) -> Person | None:
    if not nhs_number:
        return None
    others = Person.objects.filter(
        tenant_id=tenant_id, nhs_number=nhs_number, merged_into__isnull=True
    )
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    return others.first()


@transaction.atomic
def person_create(*, actor: User | None, data: PersonInput, actor_label: str = "") -> Person:
    """A new person record. The NHS number, when given, is unique in the tenant.
    ``actor_label`` names an actor who is not a user (an anonymous self-referral)."""
    tenant_id = require_tenant_id()
    values = _with_deprivation(_clean_person(data), tenant_id)
    if _nhs_number_taken(tenant_id, values["nhs_number"]):
        raise ValidationError(
            {"nhs_number": ["A person with this NHS number is already recorded: "
                            "choose their existing record instead."]}
        )
    person = Person.objects.create(tenant_id=tenant_id, **values)
    audit_record(actor=actor, action=AuditAction.CREATE, target=person, actor_label=actor_label)
    return person


@transaction.atomic
def person_update(*, person: Person, actor: User, version: int, data: PersonInput) -> Person:
    current = Person.objects.select_for_update().get(pk=person.pk)
    if current.version != version:
        raise Conflict()
    values = _with_deprivation(_clean_person(data), current.tenant_id)
    if _nhs_number_taken(current.tenant_id, values["nhs_number"], exclude_pk=current.pk):
        raise ValidationError(
            {"nhs_number": ["Another person already has this NHS number."]}
        )
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    if not changed:
        return current
    for name in changed:
        setattr(current, name, values[name])
    current.version += 1
    current.updated_at = timezone.now()
    current.save(update_fields=[*changed, "version", "updated_at"])
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=changed)
    return current


@transaction.atomic
def person_merge(*, kept: Person, merged: Person, actor: User, reason: str) -> PersonMerge:
    """Merge the duplicate ``merged`` into ``kept``: its referrals move to ``kept`` and it is
    hidden from lists. The merge row remembers exactly what moved, so it can be undone."""
    kept = Person.objects.select_for_update().get(pk=kept.pk)
    merged = Person.objects.select_for_update().get(pk=merged.pk)
    errors: dict[str, list[str]] = {}
    if kept.pk == merged.pk:
        errors.setdefault("merged", []).append("Choose two different records.")
    if kept.merged_into_id or merged.merged_into_id:
        errors.setdefault("merged", []).append("One of these records has already been merged.")
    if not reason.strip():
        errors["reason"] = ["Say why these records are the same person."]
    if kept.nhs_number and merged.nhs_number and kept.nhs_number != merged.nhs_number:
        errors.setdefault("merged", []).append(
            "These records have different NHS numbers, so they are different people."
        )
    raise_errors(errors)
    open_teams = set(
        Referral.objects.filter(person=kept, status__in=OPEN_STATUSES).values_list("team_id",
                                                                                   flat=True)
    )
    moving = list(Referral.objects.filter(person=merged).select_for_update())
    if any(r.team_id in open_teams and r.is_open for r in moving):
        raise ValidationError(
            {"merged": ["Both records have an open referral in the same team. Close one of "
                        "them first."]}
        )
    for referral in moving:
        referral.person = kept
        try:
            with transaction.atomic():
                save_referral(referral, ["person"])
        except IntegrityError:  # an open referral for them reached that team a moment ago
            raise ValidationError(
                {"merged": ["Both records have an open referral in the same team. Close one "
                            "of them first."]}
            ) from None
        append_event(referral, actor=actor, kind=EventKind.PERSON_MERGED,
                     from_status=referral.status, on=_today(), reason=reason.strip())
    merged.merged_into = kept
    merged.version += 1
    merged.save(update_fields=["merged_into", "version"])
    merge = PersonMerge.objects.create(
        tenant_id=kept.tenant_id, kept=kept, merged=merged, reason=reason.strip(),
        moved_referrals=[r.pk for r in moving], merged_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.CHANGE, target=merged, fields=["merged_into"],
                 note=f"merged into {kept.pk}")
    audit_record(actor=actor, action=AuditAction.CHANGE, target=kept, fields=["referrals"],
                 note=f"merged {merged.pk} into this record")
    return merge


@transaction.atomic
def person_merge_undo(*, merge: PersonMerge, actor: User) -> PersonMerge:
    """Reverse a merge: the referrals that moved go back and the duplicate is visible again."""
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": ["This merge has already been undone."]})
    merged = Person.objects.select_for_update().get(pk=merge.merged_id)
    if merged.nhs_number and _nhs_number_taken(merged.tenant_id, merged.nhs_number,
                                               exclude_pk=merged.pk):
        raise ValidationError(
            {"merge": ["Another record now has this record's NHS number, so they cannot be "
                       "separated again."]}
        )
    for referral in Referral.objects.filter(pk__in=merge.moved_referrals).select_for_update():
        referral.person = merged
        save_referral(referral, ["person"])
        append_event(referral, actor=actor, kind=EventKind.PERSON_UNMERGED,
               from_status=referral.status, on=_today(), reason="Merge undone")
    merged.merged_into = None
    merged.version += 1
    merged.save(update_fields=["merged_into", "version"])
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.save(update_fields=["undone_at", "undone_by"])
    audit_record(actor=actor, action=AuditAction.CHANGE, target=merged, fields=["merged_into"],
                 note=f"merge into {merge.kept_id} undone")
    return merge


# --------------------------------------------------------------------------- intake


@dataclass
class ReferralInput:
    team: Team
    source: str
    received_on: dt.date
    presenting_needs: Sequence[str] = field(default_factory=list)
    urgency: str = Urgency.ROUTINE
    referrer_name: str = ""
    referrer_organisation: Organisation | None = None
    reason: str = ""
    identity_checked: bool = True


class IntakePaused(ValidationError):
    """The receiving team's intake is paused; the refusal has been recorded."""


def _clean_referral(data: ReferralInput, *, date_of_birth: dt.date | None, tenant_id) -> None:
    errors: dict[str, list[str]] = {}
    require_code(errors, "source", data.source, Source)
    require_code(errors, "urgency", data.urgency, Urgency)
    if data.received_on is None:
        errors["received_on"] = ["Enter the date the referral was received."]
    elif data.received_on > _today():
        errors["received_on"] = ["The date received cannot be in the future."]
    elif date_of_birth and data.received_on < date_of_birth:
        errors["received_on"] = ["The date received cannot be before the person was born."]
    needs = list(data.presenting_needs or [])
    if not needs:
        errors["presenting_needs"] = ["Choose at least one presenting need."]
    unknown = [need for need in needs if need not in PresentingNeed.values]
    if unknown:
        errors["presenting_needs"] = [f"'{need}' is not a known code." for need in unknown]
    team = data.team
    if team is None:
        errors["team"] = ["Choose the team receiving the referral."]
    elif team.kind == TeamKind.VCSE_SERVICE or not team.is_active:
        errors["team"] = ["Choose an active community mental health team."]
    if data.referrer_organisation is not None and (
        data.referrer_organisation.tenant_id != tenant_id
    ):
        errors["referrer_organisation"] = ["Choose an organisation in this place."]
    raise_errors(errors)


def _pause_covering(team: Team, day: dt.date) -> IntakePause | None:
    """The intake pause of the team's host PCN (or of the PCN above it) covering ``day``."""
    hosts = [team.host_id]
    if team.host.parent_id:
        hosts.append(team.host.parent_id)
    for pause in IntakePause.objects.filter(organisation_id__in=hosts).order_by("starts_on"):
        if pause.covers(day):
            return pause
    return None


def _refuse_if_paused(*, actor: User, data: ReferralInput) -> None:
    """Raise IntakePaused when the team's intake is paused on the date received, keeping a
    record of the refusal. Call it outside any transaction that the refusal would roll back
    with."""
    team = data.team
    pause = _pause_covering(team, data.received_on)
    if pause is None:
        return
    with transaction.atomic():
        IntakeRefusal.objects.create(
            tenant_id=team.tenant_id, team=team, pause=pause, source=data.source,
            received_on=data.received_on, refused_by=actor,
        )
    until = f" until {pause.ends_on:%d/%m/%Y}" if pause.ends_on else ""
    raise IntakePaused(
        {"team": [f"{team.name} is not taking new referrals{until}: {pause.reason}. "
                  "Send the referral to another team, or redirect it."]},
        code="intake_paused",
    )


def open_referral_in_team(person: Person, team: Team) -> Referral | None:
    return Referral.objects.filter(person=person, team=team, status__in=OPEN_STATUSES).first()


def _previous_within_window(person: Person, received_on: dt.date, team: Team) -> Referral | None:
    """The latest discharge within the window: from ``team`` when there is one (that episode
    reopens, even after a later discharge from another team), else from any team."""
    window = person.tenant.re_referral_window_days
    return (
        Referral.objects.filter(
            person=person,
            status=Status.DISCHARGED,
            discharged_on__lte=received_on,
            discharged_on__gte=received_on - dt.timedelta(days=window),
        )
        .annotate(same_team=Q(team=team))
        .order_by("-same_team", "-discharged_on")
        .first()
    )


def _duplicate_error(existing: Referral) -> ValidationError:
    href = reverse("referrals:detail", args=[existing.pk])
    return ValidationError(
        {"person": [f"This person already has an open referral with this team, received "
                    f"{existing.received_on:%d/%m/%Y}: {href}"]},
        code="duplicate_open_referral",
    )


def referral_create(
    *, actor: User, person: Person, data: ReferralInput, entered_at: dt.datetime | None = None
) -> Referral:
    """Receive a referral for an existing ``person``: ``referral_intake`` with no new person."""
    return referral_intake(actor=actor, person=person, person_data=None, data=data,
                           entered_at=entered_at)


def referral_intake(
    *,
    actor: User,
    person: Person | None,
    person_data: PersonInput | None,
    data: ReferralInput,
    entered_at: dt.datetime | None = None,
    actor_label: str = "",
) -> Referral:
    """Receive a referral into ``data.team`` for ``person`` or, when that is None, for a new
    person made from ``person_data``: both saved or neither. ``actor_label`` names an actor
    who is not a user (``actor`` None: an anonymous self-referral).

    Every field of both is checked before anything is saved, so a form shows all its errors at
    once. Refused (nothing saved) when the data is invalid or the person already has an open
    referral in the team; refused with the refusal recorded when the team's intake is paused on
    the date received. A referral within the tenant's re-referral window after a discharge is
    linked to the discharged one.
    """
    errors: dict[str, list[str]] = {}
    if person is None:
        if person_data is None:
            raise ValidationError({"person": ["Choose a person or enter their details."]})
        try:
            _clean_person(person_data)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        date_of_birth = person_data.date_of_birth
    else:
        if person.merged_into_id:
            raise ValidationError({"person": ["This record was merged: use the record it was "
                                              "merged into."]})
        date_of_birth = person.date_of_birth
    try:
        _clean_referral(data, date_of_birth=date_of_birth, tenant_id=require_tenant_id())
    except ValidationError as exc:
        errors.update(exc.message_dict)
    raise_errors(errors)
    if person is not None and (existing := open_referral_in_team(person, data.team)):
        raise _duplicate_error(existing)  # before the pause check: not a refusal to record
    _refuse_if_paused(actor=actor, data=data)
    with transaction.atomic():
        if person is None:
            person = person_create(actor=actor, data=person_data, actor_label=actor_label)
        return _save_referral(actor=actor, person=person, data=data, entered_at=entered_at,
                              actor_label=actor_label)


def _save_referral(
    *, actor: User | None, person: Person, data: ReferralInput,
    entered_at: dt.datetime | None, actor_label: str = "",
) -> Referral:
    referral = Referral(
        tenant_id=person.tenant_id,
        person=person,
        team=data.team,
        source=data.source,
        referrer_name=data.referrer_name.strip(),
        referrer_organisation=data.referrer_organisation,
        received_on=data.received_on,
        entered_at=entered_at or timezone.now(),
        entered_by=actor,
        urgency=data.urgency,
        presenting_needs=sorted(set(data.presenting_needs)),
        reason=data.reason.strip(),
        identity_checked=data.identity_checked,
        previous_referral=_previous_within_window(person, data.received_on, data.team),
    )
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        # Someone received the same person into the same team a moment ago.
        existing = open_referral_in_team(person, data.team)
        if existing is None:
            raise
        raise _duplicate_error(existing) from None
    details = {"team": data.team.name, "source": referral.get_source_display(),
               "urgency": referral.get_urgency_display()}
    if referral.previous_referral_id:
        details["re_referral_of"] = str(referral.previous_referral_id)
    append_event(referral, actor=actor, kind=EventKind.RECEIVED, from_status="",
                 on=data.received_on, details=details, actor_label=actor_label)
    audit_record(actor=actor, action=AuditAction.CREATE, target=referral,
                 actor_label=actor_label)
    previous = referral.previous_referral
    if previous is not None and previous.team_id == referral.team_id:
        referral = _reopen_episode(referral, previous=previous, actor=actor)
    # In this transaction: the safety alerts it raises (caseload) are saved with the referral.
    hooks.referral_received.send(sender=Referral, referral=referral, actor=actor)
    return referral


def _reopen_episode(referral: Referral, *, previous: Referral, actor: User) -> Referral:
    """A re-referral to the same team within the window reopens the episode: no new triage, the
    care record carries on, and it goes back to the workers who held it if they still can.
    Returns the referral as saved (allocation saves it again)."""
    referral.status = check_transition(referral.status, EventKind.REOPENED)
    referral.episode_id = previous.episode_id
    referral.triaged_on = referral.received_on
    referral.triaged_by = actor
    referral.decision_note = (f"Re-referred within {referral.tenant.re_referral_window_days} days "
                              f"of discharge on {previous.discharged_on:%d/%m/%Y}.")
    save_referral(referral, ["status", "episode_id", "triaged_on", "triaged_by",
                             "decision_note"])
    append_event(referral, actor=actor, kind=EventKind.REOPENED,
                 from_status=Status.AWAITING_TRIAGE, on=referral.received_on,
                 reason=referral.decision_note,
                 details={"previous_referral": str(previous.pk)})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=["status", "episode_id", "triaged_on"])
    worker = previous.worker
    if worker is None or _check_worker(referral, worker):
        return referral  # stays accepted, for a lead to allocate
    joint = [m for m in joint_workers_of(previous)
             if m.pk != worker.pk and not _check_worker(referral, m)]
    return _assign_workers(EventKind.ALLOCATED, referral=referral, actor=actor,
                           version=referral.version, worker=worker, joint_workers=joint,
                           on=referral.received_on)


def joint_workers_of(referral: Referral) -> list[Membership]:
    return list(Membership.objects.filter(jointworker__referral=referral).select_related("user"))


# --------------------------------------------------------------------------- triage


def _triage_fields(referral: Referral, actor: User, on: dt.date) -> list[str]:
    referral.triaged_on = on
    referral.triaged_by = actor
    return ["status", "triaged_on", "triaged_by"]


@transaction.atomic
def referral_accept(
    *,
    referral: Referral,
    actor: User,
    version: int,
    team: Team | None = None,
    urgency: str | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> Referral:
    """Accept into ``team`` (default: the receiving team) with ``urgency`` (default: as
    received). The referral then waits for allocation."""
    referral = lock_referral(referral, version)
    to_status = check_transition(referral.status, EventKind.ACCEPTED)
    on = effective_date(referral, on)
    errors: dict[str, list[str]] = {}
    team = team or referral.team
    if team.kind == TeamKind.VCSE_SERVICE or not team.is_active:
        errors["team"] = ["Choose an active community mental health team."]
    elif team.pk != referral.team_id and open_referral_in_team(referral.person, team):
        errors["team"] = ["This person already has an open referral with that team."]
    urgency = urgency or referral.urgency
    require_code(errors, "urgency", urgency, Urgency)
    raise_errors(errors)
    from_status = referral.status
    changed = _triage_fields(referral, actor, on)
    referral.status = to_status
    if team.pk != referral.team_id:
        referral.team = team
        changed.append("team")
    if urgency != referral.urgency:
        referral.urgency = urgency
        changed.append("urgency")
    referral.decision_note = note.strip()
    try:
        with transaction.atomic():
            save_referral(referral, [*changed, "decision_note"])
    except IntegrityError:  # an open referral for them reached that team a moment ago
        raise ValidationError(
            {"team": ["This person already has an open referral with that team."]}
        ) from None
    append_event(referral, actor=actor, kind=EventKind.ACCEPTED, from_status=from_status, on=on,
           reason=note.strip(),
           details={"team": team.name, "urgency": referral.get_urgency_display()})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral, fields=changed)
    return referral


@transaction.atomic
def referral_redirect(
    *,
    referral: Referral,
    actor: User,
    version: int,
    destination: str,
    note: str,
    on: dt.date | None = None,
) -> Referral:
    """Redirect with a warm handover: where to, and what was handed over. Not a rejection."""
    referral = lock_referral(referral, version)
    to_status = check_transition(referral.status, EventKind.REDIRECTED)
    on = effective_date(referral, on)
    errors: dict[str, list[str]] = {}
    require_code(errors, "destination", destination, RedirectDestination,
                 missing="Choose where to redirect the referral.")
    if not note.strip():
        errors["note"] = ["Describe the handover: who you spoke to and what was agreed."]
    raise_errors(errors)
    from_status = referral.status
    changed = _triage_fields(referral, actor, on)
    referral.status = to_status
    referral.redirect_destination = destination
    referral.decision_note = note.strip()
    save_referral(referral, [*changed, "redirect_destination", "decision_note"])
    append_event(referral, actor=actor, kind=EventKind.REDIRECTED, from_status=from_status, on=on,
           reason=note.strip(),
           details={"destination": RedirectDestination(destination).label})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=[*changed, "redirect_destination", "decision_note"])
    return referral


@transaction.atomic
def referral_reject(
    *,
    referral: Referral,
    actor: User,
    version: int,
    reason: str,
    note: str = "",
    on: dt.date | None = None,
) -> Referral:
    """Reject with a reason from the list (reported in REF03). "Other" needs a note."""
    referral = lock_referral(referral, version)
    to_status = check_transition(referral.status, EventKind.REJECTED)
    on = effective_date(referral, on)
    errors: dict[str, list[str]] = {}
    require_code(errors, "reason", reason, RejectionReason)
    if reason == RejectionReason.OTHER and not note.strip():
        errors["note"] = ["Explain the reason for rejecting the referral."]
    raise_errors(errors)
    from_status = referral.status
    changed = _triage_fields(referral, actor, on)
    referral.status = to_status
    referral.rejection_reason = reason
    referral.decision_note = note.strip()
    save_referral(referral, [*changed, "rejection_reason", "decision_note"])
    append_event(referral, actor=actor, kind=EventKind.REJECTED, from_status=from_status, on=on,
           reason=note.strip(), details={"reason": RejectionReason(reason).label})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=[*changed, "rejection_reason", "decision_note"])
    return referral


@transaction.atomic
def referral_flag_for_mdt(*, referral: Referral, actor: User, version: int,
                          note: str) -> Referral:
    """Put the referral on its team's next MDT meeting list instead of deciding now."""
    referral = lock_referral(referral, version)
    to_status = check_transition(referral.status, EventKind.FLAGGED_FOR_MDT)
    if not note.strip():
        raise ValidationError({"note": ["Say what the MDT should discuss."]})
    from_status = referral.status
    referral.status = to_status
    referral.mdt_note = note.strip()
    save_referral(referral, ["status", "mdt_note"])
    append_event(referral, actor=actor, kind=EventKind.FLAGGED_FOR_MDT, from_status=from_status,
           on=_today(), reason=note.strip(), details={"team": referral.team.name})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=["status", "mdt_note"])
    return referral


TRIAGE_DECISIONS = ("accept", "redirect", "reject", "mdt")


def referral_decide(
    *,
    referral: Referral,
    actor: User,
    version: int,
    decision: str,
    note: str = "",
    team: Team | None = None,
    urgency: str = "",
    destination: str = "",
    reason: str = "",
    on: dt.date | None = None,
) -> Referral:
    """One triage decision by name, for the page and the API: the fields each takes are those
    of the matching service."""
    common = {"referral": referral, "actor": actor, "version": version}
    if decision == "accept":
        return referral_accept(**common, team=team, urgency=urgency or None, note=note, on=on)
    if decision == "redirect":
        return referral_redirect(**common, destination=destination, note=note, on=on)
    if decision == "reject":
        return referral_reject(**common, reason=reason, note=note, on=on)
    if decision == "mdt":
        return referral_flag_for_mdt(**common, note=note)
    raise ValidationError({"decision": [f"'{decision}' is not a known decision."]})


# --------------------------------------------------------------------------- allocation


def _check_worker(referral: Referral, membership: Membership) -> list[str]:
    if membership.tenant_id != referral.tenant_id or not membership.is_active:
        return ["Choose someone from this team."]
    if membership.role not in CLINICAL_ROLES:
        return [f"{membership.user} does not hold a caseload."]
    if not membership.teams.filter(pk=referral.team_id).exists():
        return [f"{membership.user} is not a member of {referral.team.name}."]
    return []


def referral_allocate(
    *,
    referral: Referral,
    actor: User,
    version: int,
    worker: Membership | None,
    joint_workers: Sequence[Membership] = (),
    on: dt.date | None = None,
) -> Referral:
    """Allocate an accepted referral to one named worker, with optional joint workers. It then
    shows in their caseloads as awaiting assessment."""
    return _assign_workers(EventKind.ALLOCATED, referral=referral, actor=actor, version=version,
                           worker=worker, joint_workers=joint_workers, on=on)


def referral_reallocate(
    *,
    referral: Referral,
    actor: User,
    version: int,
    worker: Membership | None,
    joint_workers: Sequence[Membership] = (),
    on: dt.date | None = None,
) -> Referral:
    """Hand an allocated referral to another named worker, or change its joint workers."""
    return _assign_workers(EventKind.REALLOCATED, referral=referral, actor=actor,
                           version=version, worker=worker, joint_workers=joint_workers, on=on)


def referral_assign(
    *,
    referral: Referral,
    actor: User,
    version: int,
    worker: Membership | None,
    joint_workers: Sequence[Membership] = (),
    on: dt.date | None = None,
) -> Referral:
    """Allocate or reallocate, whichever the referral's state calls for (the forms' one
    button)."""
    service = referral_reallocate if referral.worker_id else referral_allocate
    return service(referral=referral, actor=actor, version=version, worker=worker,
                   joint_workers=joint_workers, on=on)


@transaction.atomic
def _assign_workers(
    kind: EventKind,
    *,
    referral: Referral,
    actor: User,
    version: int,
    worker: Membership | None,
    joint_workers: Sequence[Membership],
    on: dt.date | None,
) -> Referral:
    referral = lock_referral(referral, version)
    to_status = check_transition(referral.status, kind)
    on = effective_date(referral, on)
    errors: dict[str, list[str]] = {}
    if worker is None:
        errors["worker"] = ["Choose the named worker."]
    else:
        if problems := _check_worker(referral, worker):
            errors["worker"] = problems
    joint = list(dict.fromkeys(joint_workers))
    for membership in joint:
        if worker is not None and membership.pk == worker.pk:
            errors.setdefault("joint_workers", []).append(
                "The named worker cannot also be a joint worker."
            )
        errors.setdefault("joint_workers", []).extend(
            _check_worker(referral, membership)
        )
    if not errors.get("joint_workers"):
        errors.pop("joint_workers", None)
    raise_errors(errors)
    before = (referral.worker_id, set(referral.joint_workers.values_list("pk", flat=True)))
    after = (worker.pk, {m.pk for m in joint})
    if kind == EventKind.REALLOCATED and before == after:
        raise ValidationError({"worker": ["This referral is already allocated to them."]})
    from_status = referral.status
    referral.status = to_status
    referral.worker = worker
    changed = ["status", "worker"]
    if kind == EventKind.ALLOCATED:  # a reallocation's date is on its event
        referral.allocated_on = on
        changed.append("allocated_on")
    save_referral(referral, changed)
    JointWorker.objects.filter(referral=referral).delete()
    JointWorker.objects.bulk_create(
        JointWorker(tenant_id=referral.tenant_id, referral=referral, membership=m) for m in joint
    )
    details = {"worker": str(worker.user), "joint_workers": [str(m.user) for m in joint]}
    append_event(referral, actor=actor, kind=kind, from_status=from_status, on=on, details=details)
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=["worker", "joint_workers", "allocated_on", "status"])
    return referral


# --------------------------------------------------------------------------- postcodes


@transaction.atomic
def postcode_areas_load(*, rows: Iterable[dict[str, str]]) -> int:
    """Replace-or-add the current tenant's postcode lookup from (postcode, lsoa_code,
    imd_decile) rows. All rows are checked first; one bad row loads nothing."""
    tenant_id = require_tenant_id()
    clean: dict[str, tuple[str, int]] = {}
    errors: list[str] = []
    for number, row in enumerate(rows, start=2):
        try:
            postcode = normalise_postcode(row.get("postcode", ""))
            decile = int(row.get("imd_decile", ""))
            if not 1 <= decile <= 10:
                raise ValueError
            lsoa = row.get("lsoa_code", "").strip().upper()
            if not lsoa or len(lsoa) > 9:
                raise ValueError
        except (ValidationError, ValueError):
            errors.append(f"Row {number}: needs a postcode, an LSOA code and a decile 1 to 10.")
            continue
        clean[postcode] = (lsoa, decile)
    if errors:
        raise ValidationError({"file": errors})
    for postcode, (lsoa, decile) in clean.items():
        PostcodeArea.objects.update_or_create(
            tenant_id=tenant_id, postcode=postcode,
            defaults={"lsoa_code": lsoa, "imd_decile": decile},
        )
    return len(clean)
