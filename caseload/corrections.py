"""Correcting care records: amend one, or mark it entered in error, always with a reason.

Every kind of care record (contact, assessment, outcome measure, intervention, care plan
version, risk concern) is described once in ``KINDS``: which fields an amendment may change,
which fields its earlier version keeps, who wrote it, and the key its referral events carry.
The earlier version goes to the shared revision log (referrals.corrections), and the referral's
timeline gets an event linking to it, in the same transaction as the change.

An entered-in-error record is never deleted: it stays on the care record and the timeline,
struck through, and every metric and caseload count leaves it out (``entered_in_error_at``
is set). A care plan version is never rewritten (its table is append-only): it can be marked
entered in error, and "amending" a plan is saving a new version in the plan editor.

The services compare the record's ``version`` (Conflict, answered as 409, on a stale one) and
do not decide who may correct: views ask caseload.permissions.can_correct_care_record first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from caseload import selectors, services
from caseload.codes import ContactMode, ContactPurpose
from caseload.models import (
    Assessment,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from config.exceptions import Conflict
from pcns.models import AuditAction, User
from pcns.selectors import _membership_or_404
from pcns.services import audit_record
from referrals import selectors as referral_selectors
from referrals.corrections import clean_reason, correction_event, revision_append, snapshot
from referrals.models import CorrectionKind, Referral, Revision
from referrals.services import raise_errors, require_code
from referrals.states import EventKind

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class Correctable:
    slug: str
    model: type[models.Model]
    label: str  # "contact": for messages, "This contact ..."
    shown: tuple[str, ...]  # what its earlier version keeps
    amendable: tuple[str, ...]  # what an amendment may change
    author: str  # the attribute holding the id of the user who wrote it
    event_key: str  # the key of its id in its referral events' details
    clean: Callable[[Any, dict[str, Any], Referral | None, Errors], None] | None = None


def _clean_contact(contact: Contact, values: dict, referral: Referral | None,
                   errors: Errors) -> None:
    require_code(errors, "mode", values["mode"], ContactMode)
    require_code(errors, "purpose", values["purpose"], ContactPurpose)
    services._check_date(errors, "on", values["on"], referral, label="of the contact",
                         allow_future=True)
    services._check_when(errors, contact.attendance, values["on"], values["at"])
    minutes = values["duration_minutes"]
    if minutes is not None and not 1 <= minutes <= 720:
        errors["duration_minutes"] = ["Enter a duration from 1 to 720 minutes."]
    values["note"] = (values["note"] or "").strip()


def _clean_assessment(assessment: Assessment, values: dict, referral: Referral | None,
                      errors: Errors) -> None:
    services._check_date(errors, "assessed_on", values["assessed_on"], referral,
                         label="of the assessment")
    values["summary"] = services._clean_text(errors, "summary", values["summary"],
                                             "Enter a summary of the assessment.")
    values["risk_summary"] = (values["risk_summary"] or "").strip()
    if assessment.kind in services.RISK_REQUIRED_KINDS and not values["risk_summary"]:
        errors["risk_summary"] = ["Enter the risks and what keeps the person safe."]


def _clean_intervention(intervention: Intervention, values: dict, referral: Referral | None,
                        errors: Errors) -> None:
    services._check_date(errors, "started_on", values["started_on"], referral,
                         label="it started")
    values["description"] = (values["description"] or "").strip()
    if len(values["description"]) > 300:
        errors["description"] = ["Describe it in 300 characters or fewer."]
    ended = values["ended_on"]
    if ended is not None:
        services._check_date(errors, "ended_on", ended, referral, label="it ended")
        if values["started_on"] and ended < values["started_on"]:
            errors.setdefault("ended_on", []).append("The end cannot be before the start.")


def _clean_outcome(measure: OutcomeMeasure, values: dict, referral: Referral | None,
                   errors: Errors) -> None:
    services._check_date(errors, "completed_on", values["completed_on"], referral,
                         label="it was completed")


def _clean_concern(concern: RiskConcern, values: dict, referral: Referral | None,
                   errors: Errors) -> None:
    values["concern"] = services._clean_text(errors, "concern", values["concern"],
                                             "Describe the concern.")


KINDS: dict[str, Correctable] = {k.slug: k for k in [
    Correctable("contact", Contact, "contact",
                ("on", "at", "duration_minutes", "mode", "attendance", "direct", "purpose",
                 "note"),
                ("on", "at", "duration_minutes", "mode", "purpose", "note"),
                "recorded_by_id", "contact", _clean_contact),
    Correctable("assessment", Assessment, "assessment",
                ("kind", "assessed_on", "summary", "risk_summary"),
                ("assessed_on", "summary", "risk_summary"),
                "recorded_by_id", "assessment", _clean_assessment),
    Correctable("outcome-measure", OutcomeMeasure, "outcome measure",
                ("tool", "completed_on", "items", "score"), ("completed_on",),
                "recorded_by_id", "outcome_measure", _clean_outcome),
    Correctable("intervention", Intervention, "intervention",
                ("kind", "description", "started_on", "ended_on"),
                ("description", "started_on", "ended_on"),
                "recorded_by_id", "intervention", _clean_intervention),
    Correctable("care-plan-version", CarePlanVersion, "care plan version",
                ("number", "goals", "co_produced_with", "agreed_on", "review_trigger",
                 "review_by", "safety_plan"),
                (), "recorded_by_id", "care_plan_version"),
    Correctable("risk-concern", RiskConcern, "risk concern", ("concern", "response"),
                ("concern",), "raised_by_id", "concern", _clean_concern),
]}
BY_MODEL = {k.model: k for k in KINDS.values()}


def kind_of(record: models.Model) -> Correctable:
    return BY_MODEL[type(record)]


def referral_of(record: models.Model) -> Referral | None:
    if isinstance(record, CarePlanVersion):
        return record.plan.referral
    return record.referral


def team_id_of(record: models.Model):
    referral = referral_of(record)
    return referral.team_id if referral is not None else record.team_id


def author_id_of(record: models.Model):
    return getattr(record, kind_of(record).author)


def _for_user(spec: Correctable, user: User) -> models.QuerySet:
    if spec.model is CarePlanVersion:
        return CarePlanVersion.objects.filter(
            plan__in=selectors.care_plans_for_user(user)).select_related("plan__referral")
    return {
        Contact: selectors.contacts_for_user,
        Assessment: selectors.assessments_for_user,
        OutcomeMeasure: selectors.outcome_measures_for_user,
        Intervention: selectors.interventions_for_user,
        RiskConcern: selectors.risk_concerns_for_user,
    }[spec.model](user)


def care_record_get_for_user(user: User, kind: str, record_id: uuid.UUID) -> models.Model:
    """One care record of ``kind`` that the user can see: 404 for an unknown kind, a missing
    record and one that is not theirs alike."""
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404
    return selectors._get(_for_user(spec, user), record_id)


# --------------------------------------------------------------------------- the services


def _lock(record: models.Model, version: int | None) -> tuple[models.Model, Referral | None]:
    """Lock the record's referral, then the record (the order a discharge takes them in), and
    check nobody changed the record since ``version``."""
    referral = referral_of(record)
    if referral is not None:
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
    current = type(record).objects.select_for_update().get(pk=record.pk)
    has_version = any(f.name == "version" for f in current._meta.fields)
    if has_version and current.version != version:
        raise Conflict(f"Someone else changed this {kind_of(record).label} since you read it. "
                       "Reload it to see their change, then try again.")
    if current.entered_in_error_at is not None:
        raise ValidationError({"reason": [f"This {kind_of(record).label} is already marked "
                                          "entered in error."]})
    return current, referral


def _save(current: models.Model, fields: list[str]) -> None:
    if any(f.name == "version" for f in current._meta.fields):
        current.version += 1
        fields = [*fields, "version"]
    current.save(update_fields=fields)


@transaction.atomic
def care_record_amend(
    *, record: models.Model, actor: User, version: int | None, reason: str,
    changes: dict[str, Any],
) -> models.Model:
    """Change some of a care record's amendable fields. The earlier version is kept as a
    revision and the referral's timeline shows the change with its reason."""
    spec = kind_of(record)
    if not spec.amendable:
        raise ValidationError({"reason": [f"A {spec.label} cannot be amended: save a new "
                                          "version of the plan instead."]})
    current, referral = _lock(record, version)
    errors: Errors = {}
    try:
        reason = clean_reason(reason)
    except ValidationError as error:
        errors.update(error.message_dict)
    unknown = set(changes) - set(spec.amendable)
    if unknown:
        errors.setdefault("reason", []).append(
            f"These cannot be amended: {', '.join(sorted(unknown))}.")
    values = {name: changes.get(name, getattr(current, name)) for name in spec.amendable}
    spec.clean(current, values, referral, errors)
    raise_errors(errors)
    changed = [name for name in spec.amendable if getattr(current, name) != values[name]]
    if not changed:
        return current
    revision = revision_append(
        record=current, record_type=spec.slug, kind=CorrectionKind.AMENDED, fields=changed,
        prior=snapshot(current, spec.shown), reason=reason, actor=actor, referral=referral,
        person=referral.person if referral is not None else None,
    )
    for name in changed:
        setattr(current, name, values[name])
    _save(current, changed)
    if referral is not None:
        correction_event(referral, actor=actor, kind=EventKind.RECORD_AMENDED,
                         revision=revision, label=spec.label.capitalize())
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current, fields=changed,
                 note="amended")
    return current


@transaction.atomic
def care_record_enter_in_error(
    *, record: models.Model, actor: User, version: int | None, reason: str
) -> models.Model:
    """Mark a care record entered in error: kept, and shown struck through, but left out of
    every metric and count from the next refresh."""
    spec = kind_of(record)
    current, referral = _lock(record, version)
    reason = clean_reason(reason)
    revision = revision_append(
        record=current, record_type=spec.slug, kind=CorrectionKind.ENTERED_IN_ERROR,
        fields=["entered_in_error_at"], prior=snapshot(current, spec.shown), reason=reason,
        actor=actor, referral=referral,
        person=referral.person if referral is not None else None,
    )
    current.entered_in_error_at = timezone.now()
    _save(current, ["entered_in_error_at"])
    if referral is not None:
        correction_event(referral, actor=actor, kind=EventKind.RECORD_ENTERED_IN_ERROR,
                         revision=revision, label=spec.label.capitalize())
    audit_record(actor=actor, action=AuditAction.CHANGE, target=current,
                 fields=["entered_in_error_at"], note="entered in error")
    return current


# --------------------------------------------------------------------------- earlier versions


def revision_get_for_user(user: User, revision_id: uuid.UUID) -> tuple[Revision, models.Model]:
    """A revision and what it is about (the person, the referral or the care record), if the
    user may see that: 404 for missing and not-yours alike. The view also asks whether the
    user may see a care record's referral's care record (caseload.permissions)."""
    membership = _membership_or_404(user)
    try:
        revision = Revision.objects.get(tenant_id=membership.tenant_id, pk=revision_id)
    except (Revision.DoesNotExist, ValueError):
        raise Http404 from None
    if revision.record_type == "person":
        return revision, referral_selectors.person_get_for_user(user, revision.record_id)
    if revision.record_type == "referral":
        return revision, referral_selectors.referral_get_for_user(user, revision.record_id)
    return revision, care_record_get_for_user(user, revision.record_type, revision.record_id)

