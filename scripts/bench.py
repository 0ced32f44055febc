#!/usr/bin/env python3
"""Benchmark the metrics refresh at national scale (`make bench`).

    python3 scripts/bench.py                      # 42 tenants, a million referrals
    python3 scripts/bench.py --referrals 50000 --tenants 4 --data-dir /tmp/bench-small

Starts a PostgreSQL cluster of its own in the data folder (stock settings, as `make run` starts
it, on a free port) and a Redis, migrates, fills the database with `manage.py
generate_synthetic` unless it already holds a dataset of the size asked for, then runs `manage.py
bench_metrics` and prints its report (docs/performance.md). What was generated is recorded in
``dataset.json`` in the data folder, so a second run reuses it (generating takes about four
minutes at full scale); ``--fresh`` deletes the cluster and generates again, ``--drop`` deletes
it afterwards (it holds about 5 GB at full scale). PostgreSQL and Redis are stopped at the end,
also after an error or Ctrl-C.

Only the standard library is used here, like scripts/stack.py, whose helpers this reuses.
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from stack import (
    OWNER_ROLE,
    PY,
    ROOT,
    Postgres,
    free_port,
    install,
    service_env,
    start_redis,
    stop_process,
    traversable_by_others,
)

DEFAULT_DATA_DIR = ROOT / ".local" / "bench"
DATASET_FILE = "dataset.json"
REPORT_FILE = "report.txt"
PREFIX = "synthetic"
#: The period of docs/performance.md, so the figures are for the same records.
DEFAULT_END_MONTH = "2025-10"

# Counts the synthetic tenants already in the database (as the owner: no row-level security).
_COUNT_SNIPPET = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn:
    row = conn.execute("SELECT count(*) FROM pcns_tenant WHERE slug LIKE %s",
                       [sys.argv[2] + '-%']).fetchone()
print(row[0])
"""


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def fail(message: str) -> None:
    say(message)
    raise SystemExit(1)  # after the message, so the servers are stopped below it


def _end_month(text: str) -> str:
    try:
        dt.datetime.strptime(text, "%Y-%m")  # noqa: DTZ007 - a month, no time
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month like 2025-10: {text!r}") from None
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000,
                        help="Total over all tenants (default 1,000,000).")
    parser.add_argument("--tenants", type=int, default=42)
    parser.add_argument("--pcns-per-tenant", type=int, default=30)
    parser.add_argument("--contacts-per-referral", type=float, default=7.0)
    parser.add_argument("--people", type=int, default=None,
                        help="Total over all tenants (default 70%% of the referrals).")
    parser.add_argument("--end-month", type=_end_month, default=DEFAULT_END_MONTH,
                        help=f"Last month of the generated period (default {DEFAULT_END_MONTH}).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="Where the cluster lives (default .local/bench).")
    parser.add_argument("--keep", action="store_true", default=True,
                        help="Keep the cluster afterwards (the default; see --drop).")
    parser.add_argument("--drop", action="store_true",
                        help="Delete the cluster afterwards.")
    parser.add_argument("--fresh", action="store_true",
                        help="Delete the cluster first and generate the data again.")
    args = parser.parse_args(argv)
    if args.people is None:
        args.people = max(args.tenants, round(args.referrals * 0.7))
    args.data_dir = args.data_dir.expanduser().resolve()
    return args


def wanted_dataset(args: argparse.Namespace) -> dict:
    return {
        "tenants": args.tenants, "pcns_per_tenant": args.pcns_per_tenant,
        "people": args.people, "referrals": args.referrals,
        "contacts_per_referral": args.contacts_per_referral, "seed": args.seed,
        "end_month": args.end_month, "months": 24, "prefix": PREFIX,
    }


def as_of(end_month: str) -> dt.date:
    """The last day of the generated period: the refresh counts the records as they stood then."""
    year, month = (int(part) for part in end_month.split("-"))
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def remove_cluster(data_dir: Path) -> None:
    """Delete only what this script puts in the folder (it may be one the user named)."""
    for name in ("pgdata", "redis"):
        shutil.rmtree(data_dir / name, ignore_errors=True)
    for name in ("pg-passwords", "postgres.log", DATASET_FILE):
        (data_dir / name).unlink(missing_ok=True)


def synthetic_tenants(pg: Postgres) -> int:
    out = subprocess.run([str(PY), "-c", _COUNT_SNIPPET, pg.url(OWNER_ROLE), PREFIX],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def ensure_dataset(pg: Postgres, env: dict[str, str], manage: list[str],
                   args: argparse.Namespace) -> None:
    """Generate the synthetic tenants unless the database already holds these exact ones."""
    wanted = wanted_dataset(args)
    record = args.data_dir / DATASET_FILE
    found = synthetic_tenants(pg)
    recorded = json.loads(record.read_text()) if record.exists() else None
    if recorded and recorded.get("options") == wanted and found == args.tenants:
        say(f"reusing the dataset generated {recorded['generated_at']} "
            f"({args.tenants} tenants, {args.referrals:,} referrals)")
        return
    if found:
        fail(f"{args.data_dir} holds another dataset ({found} synthetic tenants; recorded: "
                 f"{recorded['options'] if recorded else 'nothing'}). Run again with --fresh to "
                 "delete it and generate this one, or use another --data-dir.")
    say(f"generating {args.tenants} tenants, {args.referrals:,} referrals (a few minutes at "
        "full scale)")
    started = time.monotonic()
    subprocess.run([
        *manage, "generate_synthetic", "--skip-checks", "--tenants", str(args.tenants),
        "--pcns-per-tenant", str(args.pcns_per_tenant), "--people", str(args.people),
        "--referrals", str(args.referrals),
        "--contacts-per-referral", str(args.contacts_per_referral), "--seed", str(args.seed),
        "--end-month", args.end_month, "--prefix", PREFIX,
    ], env=env, cwd=ROOT, check=True)
    seconds = time.monotonic() - started
    record.write_text(json.dumps({
        "options": wanted, "seconds": round(seconds, 1),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }, indent=2) + "\n")
    say(f"generated in {seconds:.0f}s; recorded in {record}")


def run_report(env: dict[str, str], manage: list[str], args: argparse.Namespace) -> int:
    """Run bench_metrics, printing its report and keeping a copy in the data folder."""
    command = [*manage, "bench_metrics", "--as-of", as_of(args.end_month).isoformat()]
    lines = []
    # A session of its own, so that on Ctrl-C or SIGTERM its worker processes can be stopped
    # with it, before their database goes away.
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        proc.wait()
    except BaseException:
        stop_process(proc)
        raise
    (args.data_dir / REPORT_FILE).write_text("".join(lines))
    return proc.returncode


def _stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds through the finally blocks that stop the servers


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    install()
    data_dir = args.data_dir
    if args.fresh:
        say(f"--fresh: deleting the cluster in {data_dir}")
        remove_cluster(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        if not traversable_by_others(data_dir):
            sys.exit(f"PostgreSQL runs as an unprivileged user and cannot reach {data_dir}: "
                     "pick a --data-dir it can (e.g. under /tmp or /var/lib).")
        data_dir.chmod(0o755)
    pg = Postgres(data_dir / "pgdata", free_port())  # stock settings: fsync on, like `make run`
    if (pg.data_dir / "postmaster.pid").exists():
        sys.exit(f"A PostgreSQL seems to be running on {pg.data_dir} (another bench?); stop it "
                 "or delete postmaster.pid if it is stale.")
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    redis_proc = None
    try:
        fresh = pg.ensure_initialised()
        say(f"starting PostgreSQL on port {pg.port}")
        pg.start()
        if fresh:
            pg.bootstrap_roles()
        redis_port = free_port()
        redis_proc = start_redis(data_dir / "redis", redis_port, False)
        env = {
            **service_env(pg, redis_port),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            # Measure what production runs: no SQL logging or debug pages (DJANGO_DEBUG=true
            # in the environment turns them back on).
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "false"),
            # No after-change refresh is queued for the benchmark's own edits.
            "METRICS_REFRESH_AFTER_CHANGE": "false",
        }
        manage = [str(PY), str(ROOT / "manage.py")]
        # --skip-checks: the system checks import every page, and a page half written by
        # someone else must not stop a benchmark of the refresh.
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0", "--skip-checks"], env=env,
                       cwd=ROOT, check=True)
        ensure_dataset(pg, env, manage, args)
        return run_report(env, manage, args)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except subprocess.CalledProcessError as error:
        say(f"failed: {' '.join(map(str, error.cmd[:4]))} ... exited with {error.returncode}")
        return 1
    finally:
        say("stopping PostgreSQL and Redis")
        with contextlib.suppress(KeyboardInterrupt):
            if redis_proc:
                stop_process(redis_proc)
            pg.stop()  # harmless when it never started
            if args.drop:
                say(f"--drop: deleting the cluster in {data_dir}")
                remove_cluster(data_dir)
            else:
                say(f"the cluster stays in {data_dir} (delete it with --drop or rm -r)")


if __name__ == "__main__":
    sys.exit(main())
