"""Reads of stored metric snapshots (never computed on page load)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from django.db.models import QuerySet

from reporting.models import MetricValue, RefreshRun, RefreshStatus


def current_run(tenant_id: uuid.UUID) -> RefreshRun | None:
    """The tenant's latest succeeded refresh: the snapshot every reader uses."""
    return (RefreshRun.objects.filter(tenant_id=tenant_id, status=RefreshStatus.SUCCEEDED)
            .order_by("-finished_at", "-requested_at").first())


def active_run(tenant_id: uuid.UUID) -> RefreshRun | None:
    """A refresh queued or running now, if any (its progress is in reporting.services)."""
    return (RefreshRun.objects.filter(
        tenant_id=tenant_id, status__in=[RefreshStatus.QUEUED, RefreshStatus.RUNNING])
        .order_by("-requested_at").first())


def run_log(tenant_id: uuid.UUID, limit: int = 50) -> QuerySet[RefreshRun]:
    return (RefreshRun.objects.filter(tenant_id=tenant_id).select_related("requested_by")
            .order_by("-requested_at")[:limit])


def snapshot_values(
    run: RefreshRun,
    *,
    codes: Iterable[str] | None = None,
    dimension: str | None = None,
    dimension_keys: Iterable[str] | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    category: str | None = None,
    category_prefix: str | None = None,
) -> QuerySet[MetricValue]:
    """The run's values, filtered; scoped to the run's tenant first."""
    values = MetricValue.objects.filter(tenant_id=run.tenant_id, run=run)
    if codes is not None:
        values = values.filter(code__in=list(codes))
    if dimension is not None:
        values = values.filter(dimension=dimension)
    if dimension_keys is not None:
        values = values.filter(dimension_key__in=list(dimension_keys))
    if period_from is not None:
        values = values.filter(period__gte=period_from)
    if period_to is not None:
        values = values.filter(period__lte=period_to)
    if category is not None:
        values = values.filter(category=category)
    if category_prefix is not None:
        values = values.filter(category__startswith=category_prefix)
    return values.order_by("code", "dimension", "dimension_label", "category", "period")
