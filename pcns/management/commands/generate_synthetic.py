"""`manage.py generate_synthetic`: national-scale synthetic tenants, written with COPY.

How it writes: as the database owner role (DATABASE_OWNER_URL), with COPY straight into the
tables, rows generated in Python and streamed in large chunks. The application role cannot:
PostgreSQL refuses COPY FROM into a table with row-level security for a role the policies bind.
The owner is not bound, so every row carries its tenant_id explicitly. The foreign keys and the
indexes that back no constraint of the tables being filled are dropped for the load and put back
at the end of the same transaction, which checks every reference and every partial unique index
in one pass each instead of row by row (pcns/synthetic/loader.py). Everything is one
transaction: a failed run leaves nothing behind. It locks the tables it fills until it commits,
so run it on an empty, test or benchmark database, not on one in live use. Then it runs ANALYZE
on every table it wrote. Organisations, teams, staff, VCSE services and postcodes (a few
thousand rows a tenant) go through the ORM in the same transaction.

Tenants are ``<prefix>-01``, ``<prefix>-02`` ...; staff sign in as ``<name>@<slug>.test`` with
no password set. A slug that already exists is refused. The same options and seed give the same
records (only ids differ); without ``--end-month`` the period ends last month, so pass it to
reproduce a run on another day. No events or audit rows are written (docs/performance.md).

    manage.py generate_synthetic --tenants 42 --pcns-per-tenant 30 --people 700000 \\
        --referrals 1000000 --contacts-per-referral 7
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pcns.synthetic.loader import GenerationError
from pcns.synthetic.options import Options
from pcns.synthetic.run import generate


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()  # noqa: DTZ007 - a month, no time
    except ValueError:
        raise CommandError(f"--end-month must look like 2025-03, not {value!r}.") from None


class Command(BaseCommand):
    help = ("Generate synthetic tenants with people, referrals, care records and VCSE onward "
            "referrals, written with COPY (see docs/performance.md).")

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = Options()
        parser.add_argument("--tenants", type=int, default=defaults.tenants)
        parser.add_argument("--pcns-per-tenant", type=int, default=defaults.pcns_per_tenant)
        parser.add_argument("--people", type=int, default=defaults.people,
                            help="Total over all tenants.")
        parser.add_argument("--referrals", type=int, default=defaults.referrals,
                            help="Total over all tenants; at least --people.")
        parser.add_argument("--contacts-per-referral", type=float,
                            default=defaults.contacts_per_referral, help="Mean, roughly.")
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--months", type=int, default=defaults.months,
                            help="Length of the period (default 24).")
        parser.add_argument("--end-month", type=_month, default=None,
                            help="Last month of the period, YYYY-MM (default: last month).")
        parser.add_argument("--prefix", default=defaults.prefix,
                            help="Tenant slugs are <prefix>-01, <prefix>-02 ...")

    def handle(self, *args, **opts) -> None:
        chosen = {name: opts[name] for name in (
            "tenants", "pcns_per_tenant", "people", "referrals", "contacts_per_referral", "seed",
            "months", "end_month", "prefix") if opts[name] is not None}
        options = Options(**chosen)
        if problems := options.problems():
            raise CommandError(" ".join(problems))
        slugs = options.slugs
        self.stdout.write(
            f"Generating {options.tenants} tenant(s) ({slugs[0]} to {slugs[-1]}), seed "
            f"{options.seed}, {options.first_day:%d/%m/%Y} to {options.last_day:%d/%m/%Y}")
        try:
            report = generate(options, say=self.stdout.write)
        except GenerationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{'phase':<38}{'rows':>12}{'seconds':>10}")
        for phase, seconds in report.timings.seconds.items():
            rows = report.timings.rows.get(phase)
            shown = f"{rows:,}" if rows is not None else ""
            self.stdout.write(f"{phase:<38}{shown:>12}{seconds:>10.1f}")
        total_rows = sum(report.timings.rows.values())
        self.stdout.write(f"{'total':<38}{total_rows:>12,}{report.total_seconds:>10.1f}")
