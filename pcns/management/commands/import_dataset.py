"""Import a folder (or zip) of CSV files into one tenant: docs/data-formats.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pcns.dataset import all_kinds, dataset_import
from pcns.dataset.engine import DatasetError
from pcns.dataset.files import read_folder, read_zip
from pcns.tenancy import tenant_context, tenant_id_for_slug


def tenant_for(slug: str):
    tenant_id = tenant_id_for_slug(slug)
    if tenant_id is None:
        raise CommandError(f"There is no tenant '{slug}'.")
    return tenant_id


class Command(BaseCommand):
    help = ("Import a dataset (a folder or zip of CSV files) into a tenant. Nothing is imported "
            "if any row fails, unless --partial.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A folder of CSV files, or a zip of them.")
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. sheffield.")
        parser.add_argument("--partial", action="store_true",
                            help="Import the rows that pass and leave out the failing ones.")

    def handle(self, *args, **options):
        path: Path = options["path"]
        tenant_id = tenant_for(options["tenant"])
        with tenant_context(tenant_id):
            try:
                if path.is_file():
                    tables = read_zip(path.read_bytes(), all_kinds())
                else:
                    tables = read_folder(path, all_kinds())
            except DatasetError as error:
                raise CommandError(str(error)) from None
            report = dataset_import(tables=tables, actor=None, partial=options["partial"])
        for name, counts in report.counts.items():
            self.stdout.write(f"{name}: {counts.rows} rows, {counts.created} created, "
                              f"{counts.updated} updated, {counts.unchanged} unchanged, "
                              f"{counts.failed} failed")
        for error in report.errors:
            where = f"{error.file} line {error.line}" if error.file else "import"
            ident = f" (id {error.id})" if error.id else ""
            column = f" {error.column}:" if error.column else ""
            self.stderr.write(f"{where}{ident}{column} {error.message}")
        if not report.imported:
            raise CommandError(f"Nothing was imported: {len(report.errors)} errors.")
        if report.errors:
            self.stdout.write(self.style.WARNING(
                f"Imported the rows that passed; {len(report.errors)} errors left out."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
