"""Metric snapshots: what a refresh computed for a tenant, and the log of refreshes.

A refresh (``RefreshRun``) writes one ``MetricValue`` row per code, period, dimension and
category, inside one transaction that also marks the run succeeded. Readers take the tenant's
latest succeeded run, so they see the whole of the old snapshot or the whole of the new one.
Values are stored exact; disclosure control is applied when they are shown or exported.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from pcns.models import Tenant, TenantOwned


class RefreshStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Refreshing"
    SUCCEEDED = "succeeded", "Refreshed"
    FAILED = "failed", "Failed"


class RefreshTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled"
    CHANGE = "change", "After data changed"
    COMMAND = "command", "Command line"
    MANUAL = "manual", "Asked for on the run log page"


class RefreshRun(TenantOwned):
    """One refresh of every metric for one tenant, as the records stood on ``as_of``."""

    trigger = models.CharField(max_length=20, choices=RefreshTrigger.choices)
    status = models.CharField(
        max_length=20, choices=RefreshStatus.choices, default=RefreshStatus.QUEUED
    )
    as_of = models.DateField(help_text="The last day of data counted (UK date).")
    months = models.PositiveSmallIntegerField(
        default=24, help_text="How many months it computed, ending with the as-of date's.")
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    values_written = models.PositiveIntegerField(default=0)
    error = models.CharField(
        max_length=500, blank=True,
        help_text="The error's type and message; SQL errors name no values.",
    )

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["tenant", "status", "-finished_at"])]

    def __str__(self) -> str:
        return f"refresh as of {self.as_of} ({self.get_status_display()})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class MetricValue(TenantOwned):
    """One stored figure: a metric code for a period and a dimension (and category)."""

    # Millions of rows at national scale: a bigint key rather than the UUID of other tables
    # (values never appear in a URL), and no foreign key constraints in the database: a
    # refresh writes a hundred thousand rows per large tenant, all with the one run and tenant
    # it has just checked, and a constraint would look both up again for every row. Values go
    # with their run (deleted with it, by the ORM) and row-level security keeps the tenant.
    # One index only, led by the run: every read and the pruning of old snapshots name the run,
    # and each extra index is written once per value.
    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, editable=False,
                               db_constraint=False, db_index=False)
    run = models.ForeignKey(RefreshRun, on_delete=models.CASCADE, related_name="values",
                            db_constraint=False, db_index=False)
    code = models.CharField(max_length=20)
    version = models.PositiveSmallIntegerField()
    period = models.DateField(help_text="The first day of the calendar month.")
    period_end = models.DateField(help_text="The month's last day, or the run's as-of date.")
    dimension = models.CharField(
        max_length=20, help_text="tenant, pcn, team, worker, vcse_org or vcse_service."
    )
    dimension_key = models.CharField(max_length=64, blank=True)
    dimension_label = models.CharField(max_length=200, blank=True)
    category = models.CharField(
        max_length=80, blank=True, help_text="A breakdown as axis:key (band:0-4), or blank."
    )
    numerator = models.BigIntegerField(null=True)
    denominator = models.BigIntegerField(null=True)
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["run", "code", "dimension", "period"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.period:%Y-%m} {self.dimension} {self.category}"
