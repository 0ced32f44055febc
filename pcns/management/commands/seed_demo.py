"""Load the demo tenants (Sheffield and Leeds): organisations, teams, staff, referrals, care,
the VCSE service directory and onward referrals."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from caseload import demo as caseload_demo
from pcns import demo, demo_data
from referrals import demo as referrals_demo
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
            made = referrals_demo.load_referrals(tenant_id)
            cared = caseload_demo.load_care(tenant_id)
            listed = vcse_demo.load_directory(tenant_id)
            onward = vcse_demo.load_onward_referrals(tenant_id)
            self.stdout.write(f"{spec['name']}: loaded, with {made} current referrals, "
                              f"{cared} of them with care recorded, {listed} VCSE services and "
                              f"{onward} onward referrals")
            self.stdout.write(self.style.SUCCESS(
                f"{spec['name']}: {len(spec['organisations'])} organisations, "
                f"{len(spec['teams'])} teams, {len(spec['staff'])} staff"
            ))
