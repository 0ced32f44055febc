"""Every write to the service directory, onward referrals, consent and VCSE contacts.

Like the other apps' services, each owns its transaction, validates every field before saving
anything (so a form shows all its errors at once), checks the onward referral's state through
vcse/states.py, and appends the onward referral's event and the audit row in the same
transaction. Services do not decide who may act; pages and the API ask vcse.permissions first.

Changing an onward referral compares its ``version`` (two VCSE workers answering the same
referral cannot both win). Logging a contact adds a row and moves the referral to "in progress"
without a version check: two workers logging contacts is not a conflict.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.exceptions import Conflict
from pcns.models import AuditAction, Organisation, OrganisationKind, User
from pcns.services import audit_record
from referrals.codes import ContactMethod
from referrals.models import Referral
from referrals.services import append_event, raise_errors, require_code
from referrals.states import EventKind
from referrals.states import check_transition as check_referral_transition
from vcse.codes import (
    ClosureOutcome,
    ConsentGiver,
    DeclineReason,
    OnwardEventKind,
    OnwardStatus,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)
from vcse.models import (
    Consent,
    OnwardReferral,
    OnwardReferralEvent,
    Service,
    ServiceArea,
    VcseContact,
)
from vcse.states import OPEN, check_transition

#: The longest consent may be recorded for in one go.
MAX_CONSENT_DAYS = 366 * 2


def _today() -> dt.date:
    return timezone.localdate()


def _label(user: User | None) -> str:
    if user is None:
        return "system"
    return (user.get_full_name() or user.email)[:200]


def _stale() -> Conflict:
    return Conflict("Someone else changed this onward referral since you read it. "
                    "Reload it to see their change, then try again.")


def _codes(errors: dict, name: str, values: list[str], *, required: str = "") -> list[str]:
    values = list(dict.fromkeys(values or []))
    if required and not values:
        errors.setdefault(name, []).append(required)
    unknown = [v for v in values if v not in SupportCategory.values]
    if unknown:
        errors.setdefault(name, []).append(f"'{unknown[0]}' is not a known code.")
    return values


def _check_day(errors: dict, name: str, value: dt.date | None, *, label: str,
               not_before: dt.date | None = None, not_before_label: str = "") -> None:
    if value is None:
        errors.setdefault(name, []).append(f"Enter the date {label}.")
        return
    if value > _today():
        errors.setdefault(name, []).append(f"The date {label} cannot be in the future.")
    if not_before is not None and value < not_before:
        errors.setdefault(name, []).append(
            f"The date {label} cannot be before {not_before_label} ({not_before:%d/%m/%Y}).")


def _event(onward: OnwardReferral, *, actor: User | None, kind: OnwardEventKind,
           from_status: str, on: dt.date, details: dict[str, Any] | None = None) -> None:
    OnwardReferralEvent.objects.create(
        tenant_id=onward.tenant_id, onward_referral=onward, effective_on=on, actor=actor,
        actor_label=_label(actor), kind=kind, from_status=from_status,
        to_status=onward.status, details=details or {},
    )


def _lock(onward: OnwardReferral, version: int | None) -> OnwardReferral:
    current = OnwardReferral.objects.select_for_update().get(pk=onward.pk)
    if version is not None and current.version != version:
        raise _stale()
    return current


def _save(onward: OnwardReferral, fields: list[str]) -> None:
    onward.version += 1
    onward.save(update_fields=[*fields, "version"])


# --------------------------------------------------------------------------- the directory


@dataclass
class ServiceInput:
    name: str
    categories: list[str]
    description: str = ""
    eligibility: str = ""
    areas: list[Organisation] = field(default_factory=list)
    area_note: str = ""
    is_open: bool = True
    capacity_note: str = ""
    is_published: bool = True
    email: str = ""
    phone: str = ""
    website: str = ""
    address: str = ""


SERVICE_FIELDS = ["name", "categories", "description", "eligibility", "area_note", "is_open",
                  "capacity_note", "is_published", "email", "phone", "website", "address"]


def _clean_service(data: ServiceInput, *, organisation: Organisation,
                   exclude_pk=None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values = {name: getattr(data, name) for name in SERVICE_FIELDS}
    for name in ["name", "description", "eligibility", "area_note", "capacity_note", "email",
                 "phone", "website", "address"]:
        values[name] = (values[name] or "").strip()
    if not values["name"]:
        errors["name"] = ["Enter the name of the service."]
    elif Service.objects.filter(organisation=organisation, name__iexact=values["name"]).exclude(
            pk=exclude_pk).exists():
        errors["name"] = [f"{organisation.name} already lists a service with this name."]
    values["categories"] = _codes(errors, "categories", data.categories,
                                  required="Choose at least one kind of support.")
    if not (values["email"] or values["phone"] or values["website"]):
        errors.setdefault("email", []).append(
            "Give at least one way to contact the service: email, phone or website.")
    for area in data.areas:
        if area.kind != OrganisationKind.PCN or area.tenant_id != organisation.tenant_id:
            errors.setdefault("areas", []).append(f"{area.name} is not a PCN in this place.")
    if organisation.kind != OrganisationKind.VCSE:
        errors["organisation"] = ["Only a VCSE organisation lists services here."]
    raise_errors(errors)
    return values


def _set_areas(service: Service, areas: list[Organisation]) -> None:
    ServiceArea.objects.filter(service=service).delete()
    ServiceArea.objects.bulk_create(
        ServiceArea(tenant_id=service.tenant_id, service=service, organisation=area)
        for area in dict.fromkeys(areas)
    )


@transaction.atomic
def service_create(*, actor: User, organisation: Organisation, data: ServiceInput) -> Service:
    """List a new service of a VCSE organisation in the tenant's directory."""
    values = _clean_service(data, organisation=organisation)
    try:
        with transaction.atomic():
            service = Service.objects.create(tenant_id=organisation.tenant_id,
                                             organisation=organisation, **values)
    except IntegrityError:  # the same name listed at the same moment by someone else
        raise ValidationError(
            {"name": [f"{organisation.name} already lists a service with this name."]}) from None
    _set_areas(service, data.areas)
    audit_record(actor=actor, action=AuditAction.CREATE, target=service)
    return service


@transaction.atomic
def service_update(*, service: Service, actor: User, version: int,
                   data: ServiceInput) -> Service:
    """Change a directory entry; refuses a stale ``version`` (409)."""
    current = Service.objects.select_for_update().get(pk=service.pk)
    if current.version != version:
        raise Conflict("Someone else changed this service since you read it. "
                       "Reload it to see their change, then try again.")
    values = _clean_service(data, organisation=current.organisation, exclude_pk=current.pk)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    old_areas = set(current.areas.values_list("pk", flat=True))
    if old_areas != {area.pk for area in data.areas}:
        changed.append("areas")
        _set_areas(current, data.areas)
    for name, value in values.items():
        setattr(current, name, value)
    current.version += 1
    current.updated_at = timezone.now()
    current.save(update_fields=[*SERVICE_FIELDS, "version", "updated_at"])
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=changed)
    return current


# --------------------------------------------------------------------------- onward referrals


@dataclass
class OnwardReferralInput:
    service: Service | None
    reason: str
    needs: list[str]
    consent_given_by: str
    consent_given_on: dt.date | None
    consent_purpose: str
    consent_expires_on: dt.date | None
    consent_given_by_name: str = ""
    share_risk: bool = False
    risk_information: str = ""
    sent_on: dt.date | None = None  # today when not given


def minimal_data_set(referral: Referral, *, needs: list[str], risk: str) -> dict[str, Any]:
    """What a VCSE partner is given: name, contact details, preferred contact method, needs,
    and risk information only where the person agreed to share it. Nothing else."""
    person = referral.person
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "phone": person.phone,
        "email": person.email,
        "address": person.address,
        "postcode": person.postcode,
        "preferred_contact_method": ContactMethod(person.preferred_contact_method).label,
        "needs": [SupportCategory(code).label for code in needs],
        "risk": risk,
    }


def _clean_onward(data: OnwardReferralInput, referral: Referral) -> None:
    errors: dict[str, list[str]] = {}
    service = data.service
    if service is None:
        errors["service"] = ["Choose the service to refer to."]
    elif service.tenant_id != referral.tenant_id:
        errors["service"] = ["There is no such service in this place."]
    elif not service.is_open:
        errors["service"] = [f"{service.name} is not taking referrals at the moment."]
    elif OnwardReferral.objects.filter(person_id=referral.person_id, service=service,
                                       status__in=sorted(OPEN),
                                       consent__expires_on__gte=_today()).exists():
        errors["service"] = [f"This person already has an open onward referral to "
                             f"{service.name}."]
    if not (data.reason or "").strip():
        errors["reason"] = ["Say why you are referring them and what they hope for."]
    _codes(errors, "needs", data.needs, required="Choose at least one need.")
    require_code(errors, "consent_given_by", data.consent_given_by, ConsentGiver)
    if (data.consent_given_by == ConsentGiver.REPRESENTATIVE
            and not data.consent_given_by_name.strip()):
        errors["consent_given_by_name"] = ["Enter the name of who consented for them."]
    _check_day(errors, "consent_given_on", data.consent_given_on, label="consent was given",
               not_before=referral.received_on, not_before_label="the referral was received")
    if not (data.consent_purpose or "").strip():
        errors["consent_purpose"] = ["Say what they agreed their details may be used for."]
    expires, given = data.consent_expires_on, data.consent_given_on
    if expires is None:
        errors["consent_expires_on"] = ["Enter the date consent lasts until."]
    elif expires < _today():
        errors["consent_expires_on"] = ["Consent that has already ended cannot be used."]
    elif given is not None and (expires - given).days > MAX_CONSENT_DAYS:
        errors["consent_expires_on"] = ["Consent can last at most 2 years; ask again then."]
    if data.risk_information.strip() and not data.share_risk:
        errors["risk_information"] = [
            "Risk information can only be shared if the person agreed to it."]
    if data.share_risk and not data.risk_information.strip():
        errors["risk_information"] = ["Enter the risk information to share, or say they did "
                                      "not agree to share it."]
    if data.sent_on is not None:
        _check_day(errors, "sent_on", data.sent_on, label="it was sent",
                   not_before=referral.received_on, not_before_label="the referral was received")
        # Nothing is shared before the person agrees to it.
        if given is not None and data.sent_on < given and "sent_on" not in errors:
            errors["sent_on"] = [f"It cannot have been sent before consent was given "
                                 f"({given:%d/%m/%Y})."]
    raise_errors(errors)


@transaction.atomic
def onward_referral_send(*, referral: Referral, actor: User,
                         data: OnwardReferralInput) -> OnwardReferral:
    """Refer a person on to a VCSE service with their consent, sharing the minimal data set.

    The referral must be open (its state machine's ``onward_referral_sent``); the service open
    to referrals; consent current, for a purpose, and for that service's organisation only.
    """
    locked = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
    check_referral_transition(locked.status, EventKind.ONWARD_REFERRAL_SENT)
    _clean_onward(data, locked)
    service, sent_on = data.service, data.sent_on or _today()
    needs = list(dict.fromkeys(data.needs))
    risk = data.risk_information.strip() if data.share_risk else ""
    onward = OnwardReferral.objects.create(
        tenant_id=locked.tenant_id, referral=locked, person=locked.person, service=service,
        organisation=service.organisation, sent_on=sent_on, sent_by=actor,
        reason=data.reason.strip(), needs=needs,
        shared=minimal_data_set(locked, needs=needs, risk=risk),
    )
    Consent.objects.create(
        tenant_id=locked.tenant_id, onward_referral=onward, organisation=service.organisation,
        given_by=data.consent_given_by, given_by_name=data.consent_given_by_name.strip(),
        given_on=data.consent_given_on, purpose=data.consent_purpose.strip(),
        expires_on=data.consent_expires_on, includes_risk=data.share_risk, recorded_by=actor,
    )
    _event(onward, actor=actor, kind=OnwardEventKind.SENT, from_status="", on=sent_on,
           details={"service": service.name})
    append_event(locked, actor=actor, kind=EventKind.ONWARD_REFERRAL_SENT,
                 from_status=locked.status, on=sent_on,
                 details={"onward_referral": str(onward.pk), "service": service.name,
                          "organisation": service.organisation.name})
    audit_record(actor=actor, action=AuditAction.CREATE, target=onward,
                 note=f"shared with {service.organisation.name}")
    return onward


def _respond_date(onward: OnwardReferral, on: dt.date | None, name: str = "on") -> dt.date:
    on = on or _today()
    errors: dict[str, list[str]] = {}
    _check_day(errors, name, on, label="of the answer", not_before=onward.sent_on,
               not_before_label="it was sent")
    raise_errors(errors)
    return on


@transaction.atomic
def onward_referral_accept(*, onward: OnwardReferral, actor: User, version: int,
                           on: dt.date | None = None) -> OnwardReferral:
    current = _lock(onward, version)
    from_status = current.status
    current.status = check_transition(from_status, OnwardEventKind.ACCEPTED)
    current.responded_on = _respond_date(current, on)
    current.responded_by = actor
    _save(current, ["status", "responded_on", "responded_by"])
    _event(current, actor=actor, kind=OnwardEventKind.ACCEPTED, from_status=from_status,
           on=current.responded_on)
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["status", "responded_on"])
    return current


@transaction.atomic
def onward_referral_decline(*, onward: OnwardReferral, actor: User, version: int, reason: str,
                            note: str = "", on: dt.date | None = None) -> OnwardReferral:
    current = _lock(onward, version)
    from_status = current.status
    target = check_transition(from_status, OnwardEventKind.DECLINED)
    on = on or _today()
    errors: dict[str, list[str]] = {}
    require_code(errors, "reason", reason, DeclineReason)
    if reason == DeclineReason.OTHER and not note.strip():
        errors["note"] = ["Say why, so the referrer can find the person something else."]
    _check_day(errors, "on", on, label="of the answer", not_before=current.sent_on,
               not_before_label="it was sent")
    raise_errors(errors)
    current.status = target
    current.responded_on = on
    current.responded_by = actor
    current.decline_reason = reason
    current.decline_note = note.strip()
    _save(current, ["status", "responded_on", "responded_by", "decline_reason", "decline_note"])
    _event(current, actor=actor, kind=OnwardEventKind.DECLINED, from_status=from_status,
           on=current.responded_on, details={"reason": DeclineReason(reason).label})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["status", "responded_on", "decline_reason", "decline_note"])
    return current


@dataclass
class VcseContactInput:
    on: dt.date | None
    mode: str
    attendance: str
    support_types: list[str]
    duration_minutes: int | None = None
    note: str = ""


@transaction.atomic
def vcse_contact_log(*, onward: OnwardReferral, actor: User,
                     data: VcseContactInput) -> VcseContact:
    """Log a contact with the support given (several types per contact). The first one moves
    an accepted onward referral to "in progress"."""
    current = _lock(onward, None)
    from_status = current.status
    target = check_transition(from_status, OnwardEventKind.CONTACT_LOGGED)
    errors: dict[str, list[str]] = {}
    _check_day(errors, "on", data.on, label="of the contact", not_before=current.sent_on,
               not_before_label="the referral was sent")
    require_code(errors, "mode", data.mode, VcseContactMode)
    require_code(errors, "attendance", data.attendance, VcseAttendance)
    attended = data.attendance == VcseAttendance.ATTENDED
    support = _codes(errors, "support_types", data.support_types,
                     required="Choose the support given." if attended else "")
    if support and data.attendance in VcseAttendance.values and not attended:
        errors.setdefault("support_types", []).append(
            "Support is only recorded for a contact that happened.")
    if data.duration_minutes is not None and not 1 <= data.duration_minutes <= 720:
        errors["duration_minutes"] = ["Enter a duration from 1 to 720 minutes."]
    if len(data.note or "") > 500:
        errors["note"] = ["Keep the note to 500 characters."]
    raise_errors(errors)
    contact = VcseContact.objects.create(
        tenant_id=current.tenant_id, onward_referral=current,
        organisation_id=current.organisation_id, staff=actor.membership, on=data.on,
        mode=data.mode, attendance=data.attendance, duration_minutes=data.duration_minutes,
        support_types=support, note=(data.note or "").strip(), recorded_by=actor,
    )
    if target != from_status:
        current.status = target
        _save(current, ["status"])
    _event(current, actor=actor, kind=OnwardEventKind.CONTACT_LOGGED, from_status=from_status,
           on=data.on, details={"mode": VcseContactMode(data.mode).label,
                                "attendance": VcseAttendance(data.attendance).label,
                                "support": [SupportCategory(s).label for s in support]})
    audit_record(actor=actor, action=AuditAction.CREATE, target=contact)
    return contact


@transaction.atomic
def onward_referral_close(*, onward: OnwardReferral, actor: User, version: int, outcome: str,
                          note: str = "", on: dt.date | None = None) -> OnwardReferral:
    """Close with an outcome and a short note for the referrer; not before the last contact."""
    current = _lock(onward, version)
    from_status = current.status
    target = check_transition(from_status, OnwardEventKind.CLOSED)
    on = on or _today()
    errors: dict[str, list[str]] = {}
    require_code(errors, "outcome", outcome, ClosureOutcome)
    last = current.contacts.order_by("-on").values_list("on", flat=True).first()
    _check_day(errors, "closed_on", on, label="it closed",
               not_before=max(filter(None, [current.sent_on, current.responded_on, last])),
               not_before_label="the last contact or answer")
    if len(note or "") > 1000:
        errors["note"] = ["Keep the note to 1,000 characters."]
    if outcome == ClosureOutcome.OTHER and not note.strip():
        errors["note"] = ["Say what happened, for the referrer."]
    raise_errors(errors)
    current.status = target
    current.closed_on = on
    current.outcome = outcome
    current.outcome_note = note.strip()
    _save(current, ["status", "closed_on", "outcome", "outcome_note"])
    _event(current, actor=actor, kind=OnwardEventKind.CLOSED, from_status=from_status, on=on,
           details={"outcome": ClosureOutcome(outcome).label})
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["status", "closed_on", "outcome", "outcome_note"])
    return current


@transaction.atomic
def consent_withdraw(*, onward: OnwardReferral, actor: User, version: int,
                     on: dt.date | None = None, note: str = "") -> OnwardReferral:
    """The person withdrew consent: the onward referral is withdrawn if still open, and the
    partner's access to it ends at once, whatever its status."""
    current = _lock(onward, version)
    consent = Consent.objects.select_for_update().get(onward_referral=current)
    if consent.withdrawn_on is not None:
        raise ValidationError({"on": ["Consent has already been withdrawn."]})
    on = on or _today()
    errors: dict[str, list[str]] = {}
    _check_day(errors, "on", on, label="consent was withdrawn", not_before=consent.given_on,
               not_before_label="it was given")
    raise_errors(errors)
    from_status = current.status
    if from_status in OPEN:
        current.status = check_transition(from_status, OnwardEventKind.WITHDRAWN)
        _save(current, ["status"])
    else:
        _save(current, [])
    consent.withdrawn_on = on
    consent.withdrawn_recorded_by = actor
    consent.withdrawal_note = note.strip()
    consent.save(update_fields=["withdrawn_on", "withdrawn_recorded_by", "withdrawal_note"])
    _event(current, actor=actor, kind=OnwardEventKind.WITHDRAWN, from_status=from_status, on=on)
    audit_record(actor=actor, action=AuditAction.CHANGE, target=consent,
                 fields=["withdrawn_on", "withdrawal_note"])
    return current


def consent_lapse(*, onward_id, on: dt.date) -> bool:
    """Withdraw an open onward referral whose consent's end date has passed (the partner lost
    access on that date already). Claimed under a row lock, so a job run twice ends it once.
    True if this call ended it."""
    with transaction.atomic():
        onward = (OnwardReferral.objects.select_for_update(of=("self",))
                  .filter(pk=onward_id, status__in=sorted(OPEN), consent__expires_on__lt=on,
                          consent__withdrawn_on__isnull=True).first())
        if onward is None:
            return False
        from_status = onward.status
        onward.status = check_transition(from_status, OnwardEventKind.CONSENT_ENDED)
        _save(onward, ["status"])
        _event(onward, actor=None, kind=OnwardEventKind.CONSENT_ENDED, from_status=from_status,
               on=on)
        audit_record(actor=None, action=AuditAction.CHANGE, target=onward, fields=["status"],
                     actor_label="Consent end date job")
    return True


def flag_unanswered(*, onward_id, flagged_on: dt.date) -> bool:
    """Mark an onward referral as unanswered, once: a conditional update claims it, so a job
    run twice (or two workers) flags it one time only. True if this call flagged it."""
    with transaction.atomic():
        claimed = OnwardReferral.objects.filter(
            pk=onward_id, status=OnwardStatus.SENT, flagged_unanswered_at__isnull=True,
        ).update(flagged_unanswered_at=timezone.now())
        if not claimed:
            return False
        onward = OnwardReferral.objects.get(pk=onward_id)
        _event(onward, actor=None, kind=OnwardEventKind.FLAGGED_UNANSWERED,
               from_status=onward.status, on=flagged_on)
        audit_record(actor=None, action=AuditAction.CHANGE, target=onward,
                     fields=["flagged_unanswered_at"], actor_label="Unanswered referrals job")
    return True

