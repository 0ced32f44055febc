"""Bulk import and export of a tenant's records as CSV files (docs/data-formats.md).

``dataset_import`` and ``dataset_export`` run inside the tenant's context (pcns.tenancy), so
row-level security checks every row they read and write.
"""

from __future__ import annotations

import uuid
from typing import Any

from pcns.dataset.engine import Context, ImportReport, Kind, Planned, Progress, Row, run_import
from pcns.dataset.files import csv_text
from pcns.models import AuditAction, AuditEvent, ExternalId, User
from pcns.services import records_changed_on_commit
from pcns.tenancy import require_tenant_id


def all_kinds() -> list[Kind]:
    from pcns.dataset.kinds import KINDS

    return KINDS


def _audit(kind: Kind, planned: list[Planned], ctx: Context) -> None:
    """One audit row for each record of a person created or changed (field names only)."""
    if not kind.person_data:
        return
    label = kind.model._meta.label_lower if kind.name != "care_plans" else "caseload.careplan"
    actor_label = "Data import" if ctx.actor is None else (
        f"{ctx.actor.get_full_name() or ctx.actor.email} (data import)")[:200]
    records_changed_on_commit(ctx.tenant_id)
    AuditEvent.objects.bulk_create(
        [AuditEvent(tenant_id=ctx.tenant_id, actor=ctx.actor, actor_label=actor_label,
                    action=AuditAction.CREATE if p.is_new else AuditAction.CHANGE,
                    target_type=label,
                    target_id=str(p.values.get("plan", p.pk)), fields=p.changed,
                    note="Imported from a dataset")
         for p in planned], batch_size=5000)


def dataset_import(*, tables: dict[str, list[Row]], actor: User | None, partial: bool = False,
                   progress: Progress | None = None) -> ImportReport:
    """Check every row and import them all, or none (``partial``: the rows that pass).

    Invariants: a record already imported under the same external id is updated, never
    duplicated; nothing is written when a row fails unless ``partial``; every created or changed
    record of a person is audited in the same transaction.
    """
    return run_import(kinds=all_kinds(), tables=tables, actor=actor, partial=partial,
                      progress=progress, audit=_audit)


def tables_from_rows(data: dict[str, list[dict[str, str]]]) -> dict[str, list[Row]]:
    """Rows built in Python (kind -> rows of cell text), read exactly as CSV cells are."""
    return {kind: [Row(line, cells) for line, cells in enumerate(rows, start=2)]
            for kind, rows in data.items()}


def _external_ids(kind: str) -> dict[uuid.UUID, str]:
    return {record: external for external, record in ExternalId.objects.filter(
        tenant_id=require_tenant_id(), kind=kind).values_list("external_id", "record_id")}


def dataset_export() -> dict[str, str]:
    """Every file of the format for the current tenant: file name -> CSV text.

    Rows are sorted by external id and lists of references by their external ids, so two
    exports of the same records are identical byte for byte.
    """
    names = {kind.name: _external_ids(kind.name) for kind in all_kinds()}

    def ext(kind: str, pk: Any) -> str:
        return names[kind].get(pk) or str(pk)

    files = {}
    for kind in all_kinds():
        header = [column.name for column in kind.columns]
        rows = []
        for pk, values in kind.load().items():
            row = {}
            for column in kind.columns:
                if column.name == "id":
                    row["id"] = ext(kind.name, values["plan"]) if kind.name == "care_plans" \
                        else ext(kind.name, pk)
                    continue
                value = values.get(column.name)
                if column.ref and column.many:
                    row[column.name] = column.fmt(sorted(ext(column.ref, v) for v in value))
                elif column.ref:
                    row[column.name] = ext(column.ref, value) if value else ""
                else:
                    row[column.name] = column.fmt(value)
            rows.append(row)
        rows.sort(key=lambda r: (r["id"], int(r.get("version") or 0)))
        files[kind.file_name] = csv_text(header, rows)
    return files
