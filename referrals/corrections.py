"""Corrections with nothing lost: the shared revision log, and correcting a person's details and
a referral's intake details.

A correction never overwrites silently. The values a correction replaces are first copied into
``referrals.Revision`` (append-only) with who, when and why, and the referral's timeline gets an
event linking to that earlier version. Care records (caseload/corrections.py) use the same log.

Like referrals.services, each service owns its transaction, compares the ``version`` the caller
read (``Conflict`` on a stale one, answered as 409), and writes the revision, the referral events
and the audit row in the same transaction. Services do not decide who may correct; views ask
referrals.permissions first.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from config.exceptions import Conflict
from pcns.models import AuditAction, Organisation, User
from pcns.services import audit_record
from referrals import hooks, services
from referrals.models import CorrectionKind, Person, Referral, Revision
from referrals.states import UNTRIAGED_STATUSES, EventKind

#: The fields of a referral entered at intake, which its intake correction may change.
REFERRAL_INTAKE_FIELDS = ["source", "referrer_name", "referrer_organisation", "received_on",
                          "urgency", "presenting_needs", "reason"]
#: A person's details (PersonInput's fields, and what the service derives from them).
PERSON_FIELDS = ["nhs_number", "nhs_number_missing_reason", "given_name", "family_name",
                 "date_of_birth", "sex", "gender", "ethnicity", "postcode", "lsoa_code",
                 "imd_decile", "registered_practice", "interpreter_needed", "language", "phone",
                 "email", "address", "preferred_contact_method"]


# --------------------------------------------------------------------------- the revision log


def _plain(value: Any) -> Any:
    """A value as JSON can hold it: dates as ISO text, ids as text, lists item by item."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def snapshot(record: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` of ``record``, as JSON (foreign keys as their ids)."""
    values = {}
    for name in fields:
        field = record._meta.get_field(name)
        value = getattr(record, field.attname)
        values[name] = _plain(value)
    return values


def clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why the record is being corrected."]})
    return reason


def revision_append(
    *,
    record: models.Model,
    record_type: str,
    kind: CorrectionKind | str,
    fields: Sequence[str],
    prior: dict[str, Any],
    reason: str,
    actor: User,
    referral: Referral | None = None,
    person: Person | None = None,
) -> Revision:
    """Keep the earlier version of ``record``. Call it inside the correction's transaction."""
    return Revision.objects.create(
        tenant_id=record.tenant_id, record_type=record_type, record_id=record.pk,
        referral=referral, person=person, kind=kind, prior=prior, fields=list(fields),
        reason=reason, actor=actor, actor_label=services._label(actor),
    )


def correction_event(
    referral: Referral, *, actor: User, kind: EventKind, revision: Revision, label: str
) -> None:
    """The timeline's line for a correction: what was corrected, linking to the earlier
    version; the reason is the event's reason."""
    services.append_event(
        referral, actor=actor, kind=kind, from_status=referral.status,
        on=timezone.localdate(), reason=revision.reason,
        details={"revision": str(revision.pk), "record": label,
                 "record_type": revision.record_type, "record_id": str(revision.record_id),
                 "fields": list(revision.fields)},
    )


def entered_in_error_ids(referral: Referral) -> set[str]:
    """The ids of the referral's care records marked entered in error (for its timeline)."""
    return {str(pk) for pk in Revision.objects.filter(
        referral=referral, kind=CorrectionKind.ENTERED_IN_ERROR).values_list("record_id",
                                                                               flat=True)}


# --------------------------------------------------------------------------- a person's details


@transaction.atomic
def person_amend(
    *, person: Person, actor: User, version: int, reason: str, data: services.PersonInput
) -> Person:
    """Correct a person's details. The earlier values are kept as a revision and each of the
    person's referrals shows the change on its timeline. Nothing changed: nothing is written."""
    current = Person.objects.select_for_update().get(pk=person.pk)
    if current.version != version:
        raise Conflict("Someone else changed this person's details since you read them. "
                       "Reload the page to see their change, then try again.")
    if current.merged_into_id is not None:
        raise ValidationError({"reason": ["This record was merged into another: correct that "
                                          "one instead."]})
    errors: dict[str, list[str]] = {}
    try:
        reason = clean_reason(reason)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        values = services._with_deprivation(services._clean_person(data), current.tenant_id)
    except ValidationError as error:
        errors.update(error.message_dict)
        values = {}
    services.raise_errors(errors)
    if services._nhs_number_taken(current.tenant_id, values["nhs_number"],
                                  exclude_pk=current.pk):
        raise ValidationError({"nhs_number": ["Another person already has this NHS number."]})
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    if not changed:
        return current
    revision = revision_append(record=current, record_type="person",
                               kind=CorrectionKind.AMENDED, fields=changed,
                               prior=snapshot(current, changed), reason=reason, actor=actor,
                               person=current)
    for name in changed:
        setattr(current, name, values[name])
    current.version += 1
    current.updated_at = timezone.now()
    current.save(update_fields=[*changed, "version", "updated_at"])
    for referral in Referral.objects.filter(person=current).order_by("received_on"):
        correction_event(referral, actor=actor, kind=EventKind.PERSON_AMENDED,
                         revision=revision, label="Person's details")
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=changed,
                 note="corrected")
    return current


# --------------------------------------------------------------------------- intake details


@dataclass
class ReferralIntakeInput:
    source: str
    received_on: dt.date | None
    urgency: str
    presenting_needs: Sequence[str]
    referrer_name: str = ""
    referrer_organisation: Organisation | None = None
    reason: str = ""


def _clean_intake(data: ReferralIntakeInput, referral: Referral) -> dict[str, Any]:
    services._clean_referral(
        services.ReferralInput(
            team=referral.team, source=data.source, received_on=data.received_on,
            presenting_needs=data.presenting_needs, urgency=data.urgency,
            referrer_name=data.referrer_name, referrer_organisation=data.referrer_organisation,
            reason=data.reason,
        ),
        date_of_birth=referral.person.date_of_birth, tenant_id=referral.tenant_id,
    )
    errors: dict[str, list[str]] = {}
    for name, day in (("triaged", referral.triaged_on), ("discharged", referral.discharged_on)):
        if day is not None and data.received_on > day:
            errors.setdefault("received_on", []).append(
                f"The date received cannot be after the referral was {name} ({day:%d/%m/%Y})."
            )
    services.raise_errors(errors)
    return {"source": data.source, "received_on": data.received_on, "urgency": data.urgency,
            # As intake stores them (services._save_referral): the same needs in another
            # order are no change.
            "presenting_needs": sorted(set(data.presenting_needs)),
            "referrer_name": data.referrer_name.strip(),
            "referrer_organisation": data.referrer_organisation,
            "reason": data.reason.strip()}


#: The intake details the safety alert rules read (caseload.alerts).
ALERTING_FIELDS = frozenset({"urgency", "presenting_needs"})


def _may_raise_alerts(referral: Referral, changed: list[str]) -> bool:
    """A correction raises the alerts intake would have raised only when it changed what the
    rules read, on a referral still waiting for triage that came in through a door (not the
    dataset import's history, which raises nothing): a typo fixed on an old referral must not
    raise an alert about something long since dealt with."""
    return (bool(ALERTING_FIELDS.intersection(changed))
            and referral.status in UNTRIAGED_STATUSES
            and not referral.events.filter(kind=EventKind.IMPORTED).exists())


@transaction.atomic
def referral_amend(
    *, referral: Referral, actor: User, version: int, reason: str, data: ReferralIntakeInput
) -> Referral:
    """Correct what was entered at intake (source, referrer, date received, urgency, needs,
    reason for referral). The status and triage decisions are not touched; the earlier values
    are kept as a revision shown from the timeline."""
    current = services.lock_referral(referral, version)
    errors: dict[str, list[str]] = {}
    try:
        correction_reason = clean_reason(reason)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        values = _clean_intake(data, current)
    except ValidationError as error:
        errors.update(error.message_dict)
        values = {}
    services.raise_errors(errors)
    changed = [name for name, value in values.items() if getattr(current, name) != value]
    if not changed:
        return current
    revision = revision_append(record=current, record_type="referral",
                               kind=CorrectionKind.AMENDED, fields=changed,
                               prior=snapshot(current, changed), reason=correction_reason,
                               actor=actor, referral=current, person=current.person)
    for name in changed:
        setattr(current, name, values[name])
    try:
        with transaction.atomic():
            services.save_referral(current, changed)
    except IntegrityError:
        raise ValidationError(
            {"received_on": ["The date received cannot be after the referral was triaged "
                             "or discharged."]}
        ) from None
    correction_event(current, actor=actor, kind=EventKind.REFERRAL_AMENDED, revision=revision,
                     label="Referral details")
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=changed,
                 note="corrected")
    if _may_raise_alerts(current, changed):
        # In this transaction, as at intake: the alerts a corrected referral now meets.
        hooks.referral_corrected.send(sender=Referral, referral=current, actor=actor)
    return current
