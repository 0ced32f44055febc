"""Answering a subject access request: everything the service holds about one person.

pcns cannot know the apps built on it, so each app registers a contributor (in its
``AppConfig.ready``) that returns its sections for a person: referrals gives the person and their
referrals, caseload the care record, vcse the onward referrals. pcns adds the audit log: who has
looked at or changed any of those records. The report is plain data, shown as a page and given
as JSON by the same code.

A contributor runs inside the person's tenant context and must return only rows linked to the
person (row-level security keeps it in the tenant; the tests check it keeps to the person).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from pcns.models import AuditEvent, ExternalId


@dataclass(frozen=True)
class Record:
    """One row held about the person: its kind (``app.model``), id and every field's value."""

    kind: str
    id: str
    title: str
    fields: list[tuple[str, str, Any]]  # (name, label, JSON-ready value)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "title": self.title,
                "fields": {name: value for name, _label, value in self.fields}}


@dataclass
class Section:
    key: str
    title: str
    description: str = ""
    records: list[Record] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title,
                "records": [record.as_json() for record in self.records]}


Contributor = Callable[[models.Model], list[Section]]
_contributors: list[tuple[int, str, Contributor]] = []


def register(*, order: int, name: str, contributor: Contributor) -> None:
    """Add an app's sections to every report, in ``order`` (idempotent by ``name``, since
    ``ready`` may run more than once in tests)."""
    _contributors[:] = [c for c in _contributors if c[1] != name]
    _contributors.append((order, name, contributor))
    _contributors.sort(key=lambda c: (c[0], c[1]))


# --------------------------------------------------------------------------- values

def _value(obj: models.Model, model_field: models.Field) -> Any:
    """A field's value as the person would read it, JSON-ready: the label of a code, the name
    of a related row, ISO dates and times (UK local time)."""
    if model_field.is_relation:
        related = getattr(obj, model_field.name)
        return None if related is None else str(related)
    raw = getattr(obj, model_field.attname)
    if raw is None:
        return None
    # A list of codes (an ArrayField) keeps its choices on the field of its items.
    coded = model_field if model_field.choices else getattr(model_field, "base_field", None)
    if coded is not None and coded.choices:
        labels = dict(coded.flatchoices)
        if isinstance(raw, list):
            return [str(labels.get(item, item)) for item in raw]
        return str(labels.get(raw, raw))
    return _plain(raw)


def _plain(raw: Any) -> Any:
    if isinstance(raw, dt.datetime):
        return timezone.localtime(raw).isoformat() if timezone.is_aware(raw) else raw.isoformat()
    if isinstance(raw, dt.date | dt.time):
        return raw.isoformat()
    if isinstance(raw, decimal.Decimal | uuid.UUID):
        return str(raw)
    if isinstance(raw, list | tuple):
        return [_plain(item) for item in raw]
    if isinstance(raw, dict):
        return {str(k): _plain(v) for k, v in raw.items()}
    return raw


def record_of(obj: models.Model, *, title: str, exclude: Iterable[str] = ()) -> Record:
    """Every concrete field of ``obj`` but its tenant (and ``exclude``), labelled as the model
    names it."""
    skip = {"tenant", *exclude}
    fields = []
    for model_field in obj._meta.concrete_fields:
        if model_field.name in skip:
            continue
        label = str(model_field.verbose_name)
        fields.append((model_field.name, label[:1].upper() + label[1:],
                       _value(obj, model_field)))
    return Record(kind=obj._meta.label_lower, id=str(obj.pk), title=title, fields=fields)


# --------------------------------------------------------------------------- the report

@dataclass
class Report:
    person_id: str
    produced_at: dt.datetime
    sections: list[Section]

    def as_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "produced_at": self.produced_at.isoformat(),
                "sections": [section.as_json() for section in self.sections]}


def _audit_section(tenant_id: Any, records: list[Record]) -> Section:
    by_kind: dict[str, set[str]] = {}
    for record in records:
        by_kind.setdefault(record.kind, set()).add(record.id)
    query = models.Q(pk__in=[])
    for kind, ids in by_kind.items():
        query |= models.Q(target_type=kind, target_id__in=sorted(ids))
    # (tenant, target_type, target_id) is indexed: one index probe per record.
    events = AuditEvent.objects.filter(query, tenant_id=tenant_id).order_by("at", "pk")
    return Section(
        key="audit", title="Who has looked at or changed the record",
        description="Every time a member of staff opened, changed or exported one of the "
                    "records above, from the audit log.",
        records=[Record(kind="pcns.auditevent", id=str(event.pk),
                        title=f"{event.get_action_display()}: {event.target_type}",
                        fields=[("at", "When", _plain(event.at)),
                                ("who", "Who", event.actor_label),
                                ("action", "What they did", event.get_action_display()),
                                ("record", "Which record",
                                 f"{event.target_type} {event.target_id}"),
                                ("fields", "Fields changed", list(event.fields or [])),
                                ("note", "Note", event.note)])
                 for event in events])


def _external_ids_section(tenant_id: Any, records: list[Record]) -> Section:
    ids = []
    for record in records:
        try:
            ids.append(uuid.UUID(record.id))
        except ValueError:
            continue
    rows = ExternalId.objects.filter(tenant_id=tenant_id, record_id__in=ids).order_by(
        "kind", "external_id")
    return Section(
        key="external_ids", title="Identifiers from other systems",
        description="The ids the records above had in the systems they were imported from.",
        records=[record_of(row, title=f"{row.kind}: {row.external_id}") for row in rows])


def subject_access_report(person: models.Model) -> Report:
    """Everything held about ``person`` (run inside their tenant's context)."""
    sections = [section for _order, _name, contribute in _contributors
                for section in contribute(person)]
    held = [record for section in sections for record in section.records]
    sections.append(_external_ids_section(person.tenant_id, held))
    sections.append(_audit_section(person.tenant_id, held))
    return Report(person_id=str(person.pk), produced_at=timezone.now(), sections=sections)
