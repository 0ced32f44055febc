"""Load a tenant's postcode lookup (postcode, LSOA code, IMD decile) from a CSV file."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pcns.tenancy import tenant_context, tenant_id_for_slug
from referrals.services import postcode_areas_load


class Command(BaseCommand):
    help = (
        "Load or update a tenant's postcode lookup from a CSV with the columns postcode, "
        "lsoa_code, imd_decile. One bad row loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. sheffield")

    def handle(self, *args, **options):
        tenant_id = _tenant_id(options["tenant"])
        with options["file"].open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        with tenant_context(tenant_id):
            try:
                count = postcode_areas_load(rows=rows)
            except ValidationError as error:
                raise CommandError("\n".join(error.message_dict["file"])) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {count} postcodes."))


def _tenant_id(slug: str):
    tenant_id = tenant_id_for_slug(slug)
    if tenant_id is None:
        raise CommandError(f"No tenant with the slug {slug!r}.")
    return tenant_id
