"""The import engine: read every row, check it, then write all of it in one transaction or none.

Each kind of record (pcns/dataset/kinds.py) knows its columns, how to read its records back from
the database in the same shape a row parses into (``values``: column name -> normalised value,
references as record ids), the checks that need other rows, and how to save. The engine does the
rest, the same way for every kind:

1. parse each row's cells and resolve its references (to a row of this import, an earlier import
   of the same external id, or a record of the tenant whose UUID it is);
2. run the kind's checks; a failing row is reported and anything that refers to it fails too;
3. if nothing failed (or partial import was asked for), compare each row with the record it
   updates and save only what is new or different, with audit rows and timeline events.

Runs inside the tenant's context, so row-level security checks every row read and written.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from config import limits
from config.limits import has_control_characters
from pcns.dataset.fields import CellError, Column
from pcns.models import ExternalId, User
from pcns.tenancy import require_tenant_id

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    id: str
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "id": self.id, "column": self.column,
                "message": self.message}


@dataclass
class Planned:
    """A row that passed: the record it makes or updates, and its values."""

    external_id: str
    pk: uuid.UUID
    values: dict[str, Any]
    line: int
    is_new: bool
    changed: list[str] = field(default_factory=list)


@dataclass
class KindCounts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


@dataclass
class ImportReport:
    counts: dict[str, KindCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "counts": {kind: vars(counts) for kind, counts in self.counts.items()},
            "errors": [error.as_dict()
                       for error in self.errors[:limits.IMPORT_MAX_REPORTED_ERRORS]],
            "error_count": len(self.errors),
        }


class DatasetError(Exception):
    """The dataset as a whole cannot be read (a missing header, an unknown file)."""


class Context:
    """What the checks of one import can see: this import's rows and the tenant's records."""

    def __init__(self, tenant_id: uuid.UUID, actor: User | None, kinds: dict[str, Any]):
        self.tenant_id = tenant_id
        self.actor = actor
        self.kinds = kinds
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.planned: dict[str, dict[str, Planned]] = defaultdict(dict)
        self.planned_by_pk: dict[str, dict[uuid.UUID, Planned]] = defaultdict(dict)
        self.failed: dict[str, set[str]] = defaultdict(set)
        self._mapping: dict[str, dict[str, uuid.UUID]] = {}
        self._mapped: dict[str, set[uuid.UUID]] = {}
        #: Lookups a kind reads once per import (the postcode table), by name.
        self.lookups: dict[str, Any] = {}
        self._existing: dict[str, dict[uuid.UUID, dict[str, Any] | None]] = defaultdict(dict)

    # --- references ---------------------------------------------------------------------------

    def mapping(self, kind: str) -> dict[str, uuid.UUID]:
        if kind not in self._mapping:
            self._mapping[kind] = dict(
                ExternalId.objects.filter(tenant_id=self.tenant_id, kind=kind)
                .values_list("external_id", "record_id"))
        return self._mapping[kind]

    def existing_pk(self, kind: str, external_id: str) -> uuid.UUID | None:
        """The record an external id already stands for in the tenant, if any."""
        pk = self.mapping(kind).get(external_id)
        if pk is not None:
            return pk
        try:
            candidate = uuid.UUID(external_id)
        except ValueError:
            return None
        if kind not in self._mapped:
            self._mapped[kind] = set(self.mapping(kind).values())
        if candidate in self._mapped[kind]:
            return None  # that UUID is already another imported record's
        return candidate if self.existing(kind, candidate) is not None else None

    def existing(self, kind: str, pk: uuid.UUID) -> dict[str, Any] | None:
        """The values of the tenant's record ``pk`` of ``kind`` as stored (None: no such record)."""
        cache = self._existing[kind]
        if pk not in cache:
            self.prefetch(kind, [pk])
        return cache[pk]

    def prefetch(self, kind: str, pks: Iterable[uuid.UUID]) -> None:
        cache = self._existing[kind]
        wanted = [pk for pk in set(pks) if pk not in cache]
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start:start + 5000]
            found = self.kinds[kind].load(pks=chunk)
            for pk in chunk:
                cache[pk] = found.get(pk)

    def resolve(self, kind: str, external_id: str) -> uuid.UUID:
        """The record id ``external_id`` stands for, or CellError saying why there is none."""
        if external_id in self.failed[kind]:
            raise CellError(f"Refers to {self.kinds[kind].noun} '{external_id}', which has errors.")
        planned = self.planned[kind].get(external_id)
        if planned is not None:
            return planned.pk
        pk = self.existing_pk(kind, external_id)
        if pk is None:
            raise CellError(f"There is no {self.kinds[kind].noun} '{external_id}' in this file "
                            f"or in this place.")
        return pk

    def values(self, kind: str, pk: uuid.UUID) -> dict[str, Any]:
        """A referenced record's values: from this import if it has that row, else as stored."""
        planned = self.planned_by_pk[kind].get(pk)
        if planned is not None:
            return planned.values
        return self.existing(kind, pk) or {}

    def values_by_pk(self, kind: str) -> dict[uuid.UUID, dict[str, Any]]:
        return {planned.pk: planned.values for planned in self.planned[kind].values()}

    def user_of(self, staff_pk: uuid.UUID | None) -> uuid.UUID | None:
        if staff_pk is None:
            return None
        return self.values("staff", staff_pk).get("user")


class Kind:
    """One file of the format. Subclasses set the class attributes and override the hooks."""

    name: str = ""
    noun: str = ""
    model: Any = None
    columns: list[Column] = []
    #: Records about a person: each created or changed one is audited.
    person_data: bool = False
    #: Date-times that default to the time of the import for a new record (and stay as they
    #: are for an existing one when the file leaves them empty).
    now_columns: tuple[str, ...] = ()

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def row_key(self, cells: dict[str, str]) -> str:
        """The key a row is known by in this import (its external id)."""
        return (cells.get("id") or "").strip()

    def existing_pk(self, key: str, ctx: Context) -> uuid.UUID | None:
        return ctx.existing_pk(self.name, key)

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    def model_fields(self) -> dict[str, str]:
        """Column name -> the model attribute it is stored in, for the plain columns."""
        attnames = {f.attname for f in self.model._meta.concrete_fields}
        plain = {}
        for column in self.columns:
            # A staff_user column (entered_by_id) has the name of the User foreign key.
            if column.name != "id" and column.name in attnames:
                plain[column.name] = column.name
        return plain

    # --- reading the tenant's records --------------------------------------------------------

    def queryset(self):
        return self.model.objects.filter(tenant_id=require_tenant_id())

    def load(self, *, pks: Iterable[uuid.UUID] | None = None) -> dict[uuid.UUID, dict[str, Any]]:
        """Stored records as values (all of the tenant's, or those in ``pks``)."""
        queryset = self.queryset().order_by()
        if pks is not None:
            queryset = queryset.filter(pk__in=list(pks))
        plain = self.model_fields()
        user_columns = [c.name for c in self.columns if c.user and c.name in plain]
        selects = {name: attname for name, attname in plain.items() if name not in user_columns}
        lookups = {name: f"{name.removesuffix('_id')}__membership__id" for name in user_columns}
        rows = queryset.values("id", *selects.values(), *lookups.values())
        loaded = {}
        for row in rows:
            values = {name: row[attname] for name, attname in selects.items()}
            values.update({name: row[lookup] for name, lookup in lookups.items()})
            loaded[row["id"]] = values
        self.load_extra(loaded)
        return loaded

    def load_extra(self, loaded: dict[uuid.UUID, dict[str, Any]]) -> None:
        """Fill the columns that are not plain model fields (lists of links, derived ids)."""

    # --- checking a row ------------------------------------------------------------------------

    def defaults(self, values: dict[str, Any], ctx: Context) -> None:
        """Fill optional columns whose default depends on other columns."""

    def check(self, values: dict[str, Any], ctx: Context, errors: list[tuple[str, str]]) -> None:
        """Checks across a row's columns and against referenced records."""

    def check_all(self, planned: list[Planned], ctx: Context) -> dict[str, list[tuple[str, str]]]:
        """Checks across rows (uniqueness against the whole tenant); errors by external id."""
        return {}

    # --- saving ------------------------------------------------------------------------------

    def build(self, planned: Planned, ctx: Context):
        values = planned.values
        instance = self.model(id=planned.pk, tenant_id=ctx.tenant_id)
        for name, attname in self.model_fields().items():
            value = values.get(name)
            if self.column(name).user:
                value = ctx.user_of(value)
            setattr(instance, attname, value)
        return instance

    def create(self, planned: list[Planned], ctx: Context) -> None:
        self.model.objects.bulk_create([self.build(p, ctx) for p in planned], batch_size=2000)
        self.after_save(planned, ctx)

    def update(self, planned: list[Planned], ctx: Context) -> None:
        plain = self.model_fields()
        fields = sorted({plain[name] for p in planned for name in p.changed if name in plain})
        if fields:
            instances = [self.build(p, ctx) for p in planned]
            self.model.objects.bulk_update(instances, fields, batch_size=2000)
        self.after_save(planned, ctx)

    def after_save(self, planned: list[Planned], ctx: Context) -> None:
        """Save what lives in other tables (links, consent, versions) and timeline events."""

    def record_external_ids(self, planned: list[Planned], ctx: Context) -> None:
        ExternalId.objects.bulk_create(
            [ExternalId(tenant_id=ctx.tenant_id, kind=self.name, external_id=p.external_id,
                        record_id=p.pk)
             for p in planned if p.external_id not in ctx.mapping(self.name)
             and p.external_id != str(p.pk)],
            batch_size=5000)


def _references(kind: Kind, values: dict[str, Any], ctx: Context,
                errors: list[tuple[str, str]]) -> None:
    for column in kind.columns:
        if column.ref is None or column.name not in values:
            continue
        raw = values[column.name]
        try:
            if column.many:
                values[column.name] = [ctx.resolve(column.ref, item) for item in raw]
            elif raw not in (None, ""):
                values[column.name] = ctx.resolve(column.ref, raw)
            else:
                values[column.name] = None
        except CellError as error:
            errors.append((column.name, str(error)))


def _parse(kind: Kind, row: Row, ctx: Context) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for column in kind.columns:
        if column.name == "id":
            continue
        try:
            value = column.read(row.cells.get(column.name, ""))
        except CellError as error:
            errors.append((column.name, str(error)))
            continue
        if column.care_date and value is not None and value > ctx.today:
            errors.append((column.name, "This date is in the future."))
        values[column.name] = value
    _references(kind, values, ctx, errors)
    return values, errors


def check_kind(kind: Kind, rows: list[Row], ctx: Context, report: ImportReport) -> list[Planned]:
    """Parse and check one file's rows; returns the rows that passed, as planned records."""
    counts = report.counts.setdefault(kind.name, KindCounts())
    counts.rows = len(rows)
    seen: dict[str, int] = {}
    candidates: list[tuple[Row, str]] = []
    for row in rows:
        external = kind.row_key(row.cells)
        if not external:
            report.errors.append(RowError(kind.file_name, row.line, "", "id",
                                          "Every row needs an id."))
            continue
        if len(external) > 100:
            report.errors.append(RowError(kind.file_name, row.line, external[:100], "id",
                                          "Use an id of at most 100 characters."))
            continue
        if has_control_characters(external, multiline=False):
            report.errors.append(RowError(kind.file_name, row.line, "", "id",
                                          "The id holds a control character (such as a NUL "
                                          "byte): remove it."))
            continue
        if external in seen:
            report.errors.append(RowError(kind.file_name, row.line, external, "id",
                                          f"Line {seen[external]} has the same id."))
            ctx.failed[kind.name].add(external)
            continue
        seen[external] = row.line
        candidates.append((row, external))
    # Reserve ids first, so a row may refer to a later row of the same file (a parent).
    for row, external in candidates:
        pk = kind.existing_pk(external, ctx)
        planned = Planned(external, pk or uuid.uuid4(), {}, row.line, is_new=pk is None)
        ctx.planned[kind.name][external] = planned
        ctx.planned_by_pk[kind.name][planned.pk] = planned
    passed: list[Planned] = []
    for row, external in candidates:
        planned = ctx.planned[kind.name][external]
        values, errors = _parse(kind, row, ctx)
        if not errors:
            planned.values = values
            kind.defaults(values, ctx)
            kind.check(values, ctx, errors)
        if errors:
            _fail(kind, ctx, report, planned, errors)
            continue
        passed.append(planned)
    for external, errors in kind.check_all(passed, ctx).items():
        planned = ctx.planned[kind.name][external]
        _fail(kind, ctx, report, planned, errors)
        passed.remove(planned)
    counts.failed = counts.rows - len(passed)
    return passed


def _fail(kind: Kind, ctx: Context, report: ImportReport, planned: Planned,
          errors: list[tuple[str, str]]) -> None:
    ctx.failed[kind.name].add(planned.external_id)
    ctx.planned[kind.name].pop(planned.external_id, None)
    ctx.planned_by_pk[kind.name].pop(planned.pk, None)
    for column, message in errors:
        report.errors.append(RowError(kind.file_name, planned.line, planned.external_id, column,
                                      message))


def compare(kind: Kind, passed: list[Planned], ctx: Context) -> None:
    """Mark which columns of each existing record the import changes."""
    existing = [p.pk for p in passed if not p.is_new]
    ctx.prefetch(kind.name, existing)
    now = ctx.now.replace(microsecond=0)
    for planned in passed:
        stored = {} if planned.is_new else (ctx.existing(kind.name, planned.pk) or {})
        for name in kind.now_columns:
            if planned.values.get(name) is None:
                planned.values[name] = stored.get(name) or now
        if planned.is_new:
            continue
        planned.changed = [column.name for column in kind.columns
                           if column.name != "id"
                           and stored.get(column.name) != planned.values.get(column.name)]


def run_import(*, kinds: list[Kind], tables: dict[str, list[Row]], actor: User | None,
               partial: bool = False, progress: Progress | None = None,
               audit: Callable[[Kind, list[Planned], Context], None] | None = None
               ) -> ImportReport:
    """Check every row of ``tables`` (kind name -> rows) and import them all, or none."""
    tenant_id = require_tenant_id()
    report = ImportReport()
    by_name = {kind.name: kind for kind in kinds}
    ctx = Context(tenant_id, actor, by_name)
    total = sum(len(rows) for rows in tables.values()) * 2
    done = 0
    checked: list[tuple[Kind, list[Planned]]] = []
    for kind in kinds:
        if kind.name not in tables:
            continue
        passed = check_kind(kind, tables[kind.name], ctx, report)
        compare(kind, passed, ctx)
        checked.append((kind, passed))
        done += len(tables[kind.name])
        if progress:
            progress(done, total)
    if report.errors and not partial:
        return report
    try:
        with transaction.atomic():
            for kind, passed in checked:
                counts = report.counts[kind.name]
                new = [p for p in passed if p.is_new]
                changed = [p for p in passed if not p.is_new and p.changed]
                counts.created, counts.updated = len(new), len(changed)
                counts.unchanged = len(passed) - len(new) - len(changed)
                if new:
                    kind.create(new, ctx)
                if changed:
                    kind.update(changed, ctx)
                kind.record_external_ids(passed, ctx)
                if audit and (new or changed):
                    audit(kind, new + changed, ctx)
                done += len(tables[kind.name])
                if progress:
                    progress(done, total)
    except IntegrityError as error:
        # The checks above should catch every conflict; if the database still refuses, nothing
        # was saved and the report says so. Only the rule's name is shown: the database's own
        # message would quote the row's values, which may be a person's details.
        diag = getattr(error.__cause__, "diag", None)
        rule = getattr(diag, "constraint_name", None) or "a database rule"
        report.errors.append(RowError("", 0, "", "", f"The database refused the import ({rule}),"
                                      " so nothing was saved."))
        return report
    report.imported = True
    return report
