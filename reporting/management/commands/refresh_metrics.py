"""Recompute a tenant's metrics now, as of today or any past date (METRICS.md)."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pcns.management.commands.import_dataset import tenant_for
from pcns.tenancy import all_tenant_ids, tenant_context
from reporting.models import RefreshStatus, RefreshTrigger
from reporting.services import refresh_now


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {text!r}.") from None


class Command(BaseCommand):
    help = "Refresh every metric of a tenant (or of all tenants) in this process."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--tenant", help="The tenant's slug, e.g. sheffield.")
        target.add_argument("--all", action="store_true", help="Every tenant, one after another.")
        parser.add_argument("--as-of", type=_date, default=None,
                            help="Count the records as they stood on this date (default today).")

    def handle(self, *args, **options):
        as_of = options["as_of"]
        if as_of and as_of > timezone.localdate():
            raise CommandError("--as-of cannot be in the future.")
        tenants = all_tenant_ids() if options["all"] else [tenant_for(options["tenant"])]
        failed = 0
        started = time.monotonic()
        for tenant_id in tenants:
            with tenant_context(tenant_id):
                run = refresh_now(trigger=RefreshTrigger.COMMAND, as_of=as_of)
                slug = run.tenant.slug
            if run.status == RefreshStatus.SUCCEEDED:
                self.stdout.write(f"{slug}: {run.values_written} values as of {run.as_of} "
                                  f"in {run.seconds:.1f}s")
            else:
                failed += 1
                self.stderr.write(f"{slug}: failed: {run.error}")
        if len(tenants) > 1:
            self.stdout.write(f"{len(tenants)} tenants in {time.monotonic() - started:.1f}s")
        if failed:
            raise CommandError(f"{failed} refresh(es) failed; the previous figures stay current.")
