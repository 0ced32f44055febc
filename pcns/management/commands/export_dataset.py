"""Export one tenant's records as a folder of CSV files: docs/data-formats.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pcns.dataset import dataset_export
from pcns.dataset.files import write_folder
from pcns.management.commands.import_dataset import tenant_for
from pcns.services import audit_record
from pcns.tenancy import tenant_context


class Command(BaseCommand):
    help = "Export a tenant's records as CSV files in the import format."

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. sheffield.")

    def handle(self, *args, **options):
        folder: Path = options["folder"]
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(f"{folder} is not empty: export into a new folder.")
        with tenant_context(tenant_for(options["tenant"])):
            files = dataset_export()
            audit_record(actor=None, action="export", target_type="dataset",
                         note="Whole tenant exported from the command line",
                         actor_label="Data export (command line)")
        write_folder(folder, files)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(files)} files to {folder}"))
