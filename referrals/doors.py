"""More doors in: referrals made by GP practices from their own page, and by people themselves
through the public self-referral form.

Both go through ``referrals.services.referral_intake``, so intake's rules (and anything hooked to
it) apply to them as to a referral typed in by the team.

- A GP practice refers into a team hosted by its own PCN (a choice only when the PCN hosts
  several). The referral's source is GP and its referrer the practice, so it shows on the
  practice's list with its outcome.
- A person refers themselves by choosing their GP practice from the place's practices; the
  referral goes to the PCN team of that practice (``self_referral_team``). A self-referral
  always makes a new person record, marked on the referral as "identity not yet checked": it is
  never matched to a record already held, so the public form cannot tell anyone whether a
  person is known, and nobody's record can be reached by typing their details. The team checks
  the identity at triage and, where it is someone already known, an administrator merges the
  records (referrals.services.person_merge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from pcns.models import AuditAction, Organisation, OrganisationKind, Team, TeamKind, User
from pcns.roles import PRACTICE_ROLES
from pcns.selectors import _membership_or_404
from pcns.services import audit_record
from referrals.codes import NhsNumberMissingReason, Source, Urgency
from referrals.models import Person, Referral
from referrals.services import (
    PersonInput,
    ReferralInput,
    append_event,
    lock_referral,
    open_referral_in_team,
    referral_intake,
    save_referral,
)
from referrals.states import EventKind, check_transition
from referrals.validators import normalise_nhs_number

#: How an anonymous self-referral is named on the timeline and in the audit log.
SELF_REFERRAL_ACTOR = "Anonymous self-referral"

# --------------------------------------------------------------------------- selectors


def _pcn_teams(tenant_id, pcn_id) -> QuerySet[Team]:
    return (
        Team.objects.filter(tenant_id=tenant_id, host_id=pcn_id, host__kind=OrganisationKind.PCN,
                            is_active=True)
        .exclude(kind=TeamKind.VCSE_SERVICE)
        .order_by("name")
    )


def practice_referral_teams(user: User) -> QuerySet[Team]:
    """Teams a GP practice user may refer into: the active teams of their practice's PCN."""
    membership = _membership_or_404(user)
    practice = membership.employer
    if (membership.role not in PRACTICE_ROLES or practice.kind != OrganisationKind.GP_PRACTICE
            or practice.parent_id is None):
        return Team.objects.none()
    return _pcn_teams(membership.tenant_id, practice.parent_id)


def self_referral_practices(tenant_id) -> QuerySet[Organisation]:
    """The practices a person may choose on the public form: those whose PCN has an active
    team. Call inside the tenant's context."""
    with_teams = Team.objects.filter(
        tenant_id=tenant_id, is_active=True, host__kind=OrganisationKind.PCN
    ).exclude(kind=TeamKind.VCSE_SERVICE).values("host_id")
    return Organisation.objects.filter(
        tenant_id=tenant_id, kind=OrganisationKind.GP_PRACTICE, parent_id__in=with_teams
    ).order_by("name")


def self_referral_team(practice: Organisation) -> Team | None:
    """Where a self-referral from a patient of ``practice`` goes: its PCN's team (a PCN
    mental health team first, then by name, when the PCN hosts several)."""
    teams = _pcn_teams(practice.tenant_id, practice.parent_id)
    return (teams.filter(kind=TeamKind.PCN_TEAM).first() or teams.first()) if (
        practice.parent_id
    ) else None


# --------------------------------------------------------------------------- GP referrals


@dataclass
class GpReferralInput:
    team: Team | None
    presenting_needs: Sequence[str] = field(default_factory=list)
    urgency: str = Urgency.ROUTINE
    reason: str = ""
    consent_to_share: bool = False


def gp_referral_create(*, actor: User, person_data: PersonInput,
                       data: GpReferralInput) -> Referral:
    """A referral from the actor's GP practice into a team of its PCN, awaiting triage.

    Source GP, referrer the practice, entered by the actor, received today. Refused unless the
    patient agreed to the referral and to their details being shared with the team. A patient
    already held under the same NHS number and date of birth is referred as that record (the
    details typed are not applied to it); the same NHS number with another date of birth is
    refused, as a mistyped number would otherwise reach someone else's record.
    """
    membership = _membership_or_404(actor)
    errors: dict[str, list[str]] = {}
    allowed = practice_referral_teams(actor)
    if membership.role not in PRACTICE_ROLES:
        raise ValidationError({"team": ["Only GP practice staff refer from a practice."]})
    if data.team is None or not allowed.filter(pk=data.team.pk).exists():
        errors["team"] = ["Choose a mental health team of your practice's PCN."]
    if not data.consent_to_share:
        errors["consent_to_share"] = [
            "Confirm the patient agrees to the referral and to their details being shared "
            "with the mental health team."
        ]
    if not data.reason.strip():
        errors["reason"] = ["Enter the reason for referral."]
    person = _held_person(membership.tenant_id, person_data, errors)
    referral_data = ReferralInput(
        team=data.team, source=Source.GP, received_on=timezone.localdate(),
        presenting_needs=data.presenting_needs, urgency=data.urgency,
        referrer_name=actor.get_full_name() or actor.email,
        referrer_organisation=membership.employer, reason=data.reason,
    )
    if errors:
        raise ValidationError(errors)
    if person is not None and open_referral_in_team(person, data.team):
        # Only what stops a second referral: not when, nor from whom, the first one came.
        raise ValidationError({"team": [
            f"This patient already has an open referral with {data.team.name}. Contact the "
            f"team rather than referring again."
        ]})
    return referral_intake(actor=actor, person=person,
                           person_data=None if person else person_data, data=referral_data)


def _held_person(tenant_id, person_data: PersonInput, errors: dict) -> Person | None:
    """The record already held under the typed NHS number, when its date of birth agrees."""
    try:
        nhs_number = normalise_nhs_number(person_data.nhs_number) if (
            person_data.nhs_number) else ""
    except ValidationError:
        return None  # intake's own checks say what is wrong with it
    if not nhs_number:
        return None
    held = Person.objects.filter(tenant_id=tenant_id, nhs_number=nhs_number,
                                 merged_into__isnull=True).first()
    if held is not None and held.date_of_birth != person_data.date_of_birth:
        errors.setdefault("nhs_number", []).append(
            "Check the NHS number and the date of birth: they do not belong together."
        )
        return None
    return held


# --------------------------------------------------------------------------- self-referrals


@dataclass
class SelfReferralInput:
    practice: Organisation
    person: PersonInput
    presenting_needs: Sequence[str] = field(default_factory=list)
    reason: str = ""
    consent_to_share: bool = False


def self_referral_create(*, data: SelfReferralInput) -> Referral:
    """A self-referral from the public form, in the current tenant: a new person record and a
    routine referral awaiting triage in the team of the chosen practice's PCN, marked "identity
    not yet checked", made by nobody (the timeline and the audit log name the actor
    ``SELF_REFERRAL_ACTOR``).

    Never matched to a person already held (see the module's docstring), so it cannot fail or
    differ because someone is known. Raises ValidationError for invalid data, and
    referrals.services.IntakePaused (with the refusal recorded) when the team's intake is
    paused; nothing is saved then.
    """
    errors: dict[str, list[str]] = {}
    team = self_referral_team(data.practice) if data.practice else None
    if data.practice is None or team is None:
        errors["practice"] = ["Choose your GP practice from the list."]
    if not data.consent_to_share:
        errors["consent_to_share"] = ["Confirm that you agree to us using your details to "
                                      "look at your referral."]
    if not data.reason.strip():
        errors["reason"] = ["Tell us what is happening and how it is affecting you."]
    if errors:
        raise ValidationError(errors)
    person = data.person
    person.nhs_number = ""  # traced by the team when it checks the identity
    person.nhs_number_missing_reason = NhsNumberMissingReason.NOT_YET_TRACED
    person.registered_practice = data.practice
    return referral_intake(
        actor=None, person=None, person_data=person, actor_label=SELF_REFERRAL_ACTOR,
        data=ReferralInput(
            team=team, source=Source.SELF, received_on=timezone.localdate(),
            presenting_needs=data.presenting_needs, urgency=Urgency.ROUTINE,
            reason=data.reason, identity_checked=False,
        ),
    )


@transaction.atomic
def referral_confirm_identity(*, referral: Referral, actor: User, version: int,
                              note: str) -> Referral:
    """Record that the team checked who a self-referrer is, and how (a trace, a call): the
    "identity not yet checked" mark goes, and the timeline says who checked and how."""
    referral = lock_referral(referral, version)
    check_transition(referral.status, EventKind.IDENTITY_CHECKED)
    if referral.identity_checked:
        raise ValidationError({"note": ["This referral's identity has already been checked."]})
    if not note.strip():
        raise ValidationError({"note": ["Say how you checked who the person is."]})
    referral.identity_checked = True
    save_referral(referral, ["identity_checked"])
    append_event(referral, actor=actor, kind=EventKind.IDENTITY_CHECKED,
                 from_status=referral.status, on=timezone.localdate(), reason=note.strip())
    audit_record(actor=actor, action=AuditAction.CHANGE, target=referral,
                 fields=["identity_checked"])
    return referral
