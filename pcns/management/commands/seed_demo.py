"""Load the demo tenants (Sheffield and Leeds): organisations, teams, staff, referrals, care,
the VCSE service directory and onward referrals."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseload import demo as caseload_demo
from pcns import demo, demo_data, demo_history
from pcns.dataset import dataset_import, tables_from_rows
from pcns.tenancy import tenant_context
from referrals import demo as referrals_demo
from reporting.models import RefreshStatus, RefreshTrigger
from reporting.services import refresh_now
from vcse import demo as vcse_demo


class Command(BaseCommand):
    help = "Load the demo tenants. With --if-empty, only those not loaded yet."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Skip tenants that are already loaded instead of failing.")

    def handle(self, *args, **options):
        if not settings.DEMO_PASSWORD:
            raise CommandError("Set DEMO_PASSWORD: demo data is for local and test use only.")
        demo_data.validate()
        for spec in demo_data.TENANTS:
            tenant_id = demo.demo_id(spec["slug"])
            if demo.tenant_exists(tenant_id):
                if options["if_empty"]:
                    self.stdout.write(f"{spec['name']}: already loaded")
                    continue
                raise CommandError(f"{spec['name']} is already loaded.")
            demo.load_tenant(spec, password=settings.DEMO_PASSWORD)
            referrals_demo.load_postcodes(tenant_id, area=spec["postcode_area"])
            history = self._import_history(spec["slug"], tenant_id)
            made = referrals_demo.load_referrals(tenant_id)
            cared = caseload_demo.load_care(tenant_id)
            onward = vcse_demo.load_onward_referrals(tenant_id)
            with tenant_context(tenant_id):  # the dashboards have figures from the start
                refresh = refresh_now(trigger=RefreshTrigger.COMMAND)
            if refresh.status != RefreshStatus.SUCCEEDED:
                raise CommandError(f"{spec['name']}: the metrics refresh failed: {refresh.error}")
            self.stdout.write(f"{spec['name']}: loaded, with {history} referrals of history, "
                              f"{made} current referrals, {cared} of them with care recorded, "
                              f"and {onward} current onward referrals")
            self.stdout.write(self.style.SUCCESS(
                f"{spec['name']}: {len(spec['organisations'])} organisations, "
                f"{len(spec['teams'])} teams, {len(spec['staff'])} staff"
            ))

    def _import_history(self, slug: str, tenant_id) -> int:
        """The tenant's past (pcns/demo_history.py), loaded through the bulk importer."""
        tables = tables_from_rows(demo_history.history_dataset(slug))
        with tenant_context(tenant_id):
            report = dataset_import(tables=tables, actor=None)
        if not report.imported:
            for error in report.errors[:20]:
                self.stderr.write(f"{error.file} line {error.line} ({error.id}) {error.column}: "
                                  f"{error.message}")
            raise CommandError(f"The demo history of {slug} did not import: "
                               f"{len(report.errors)} errors.")
        return report.counts["referrals"].created if "referrals" in report.counts else 0
