#!/usr/bin/env python3
"""Back up the database to one file, and restore such a file into an empty database.

    python3 scripts/backup.py backup [--url URL] [--file PATH]     # make backup
    python3 scripts/backup.py restore PATH [--url URL] [--replace] # make restore FILE=PATH

PostgreSQL's own tools do the work: ``pg_dump --format=custom`` (compressed, every table, the
row-level security policies and the grants to the application role with them) and
``pg_restore`` in one transaction, so a restore that fails leaves the database as it was.

Which database: ``--url``, else ``DATABASE_OWNER_URL``, else ``DATABASE_URL`` (production), else
the ``make run`` stack in .local/ (started for the while if it is not running). Connect as the
role that owns the tables: the application role cannot bypass row-level security, and pg_dump
stops rather than write a backup with rows missing. Binaries: ``PG_BIN`` if set, else those
scripts/stack.py finds (the system's PostgreSQL or the pip package pgserver's). Passwords go to
the tools in the environment, never on a command line. See docs/operations.md.

Only the standard library is used here.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack  # scripts/stack.py: the binaries, ports and passwords of `make run`


def say(message: str) -> None:
    print(f"[backup] {message}", flush=True)


def tool(name: str) -> str:
    folder = Path(os.environ["PG_BIN"]) if os.environ.get("PG_BIN") else stack.postgres_bin_dir()
    path = folder / name
    if not path.exists():
        sys.exit(f"{name} not found in {folder}: install PostgreSQL's client tools or set PG_BIN.")
    return str(path)


def libpq_env(url: str) -> dict[str, str]:
    """The connection as libpq's environment variables (keeps the password off the command
    line, where any user of the machine could read it)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"} or not parts.path.strip("/"):
        sys.exit("The database URL must look like postgres://role:password@host:port/database.")
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1",
           "PGPORT": str(parts.port or 5432), "PGDATABASE": unquote(parts.path.lstrip("/"))}
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


@contextlib.contextmanager
def database_url(given: str | None) -> Iterator[str]:
    """The URL to use; for the ``make run`` stack, its PostgreSQL is started if need be and
    stopped again afterwards."""
    url = given or os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    pg = stack.Postgres(stack.local_state_dir() / "pgdata", int(os.environ.get("PG_PORT", "54329")))
    if not (pg.data_dir / "PG_VERSION").exists():
        sys.exit("There is no database to use: run `make run` once, or give --url.")
    started = not _answers(pg.port)
    if started:
        say("starting the make run PostgreSQL for the while")
        pg.start()
    try:
        yield pg.url(stack.OWNER_ROLE)
    finally:
        if started:
            pg.stop()


def default_file(env: dict[str, str]) -> Path:
    folder = Path(os.environ.get("BACKUP_DIR") or stack.ROOT / ".local" / "backups")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return folder / f"{env['PGDATABASE']}-{stamp}.dump"


def backup(url: str, file: Path | None) -> Path:
    env = libpq_env(url)
    target = file or default_file(env)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # The backup holds patient data: readable by its owner only, from the first byte.
    partial.touch(mode=0o600)
    partial.chmod(0o600)
    try:
        subprocess.run([tool("pg_dump"), "--format=custom", "--compress=6", "--no-password",
                        f"--file={partial}"], env=env, check=True)
    except (subprocess.CalledProcessError, KeyboardInterrupt):
        partial.unlink(missing_ok=True)
        sys.exit("The backup failed (see above); nothing was written.")
    partial.replace(target)
    say(f"backed up {env['PGDATABASE']} to {target} ({target.stat().st_size:,} bytes)")
    return target


def _table_count(env: dict[str, str]) -> int:
    out = subprocess.run(
        [tool("psql"), "--no-psqlrc", "--no-password", "--tuples-only", "--no-align",
         "--command", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
        env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def _recreate(env: dict[str, str]) -> None:
    """Drop the database and create it again, empty, owned by the connecting role."""
    name = env["PGDATABASE"].replace('"', '""')
    maintenance = {**env, "PGDATABASE": "postgres"}
    for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
        result = subprocess.run([tool("psql"), "--no-psqlrc", "--no-password", "--quiet",
                                 "--command", sql], env=maintenance, check=False)
        if result.returncode:
            sys.exit("Could not replace the database: stop the service (Ctrl-C in `make run`) "
                     "so nothing is connected to it, and try again.")


def restore(url: str, file: Path, *, replace: bool = False) -> None:
    if not file.is_file():
        sys.exit(f"{file} is not a backup file.")
    env = libpq_env(url)
    if replace:
        say(f"dropping and recreating {env['PGDATABASE']}")
        _recreate(env)
    elif _table_count(env):
        sys.exit(f"The database {env['PGDATABASE']} is not empty: restore into a new, empty one "
                 f"(created by the owner role, as docs/operations.md shows), or add --replace "
                 f"(make restore FILE=... REPLACE=1) to drop and recreate this one.")
    try:
        subprocess.run([tool("pg_restore"), "--no-password", "--single-transaction",
                        "--exit-on-error", f"--dbname={env['PGDATABASE']}", str(file)],
                       env=env, check=True)
    except subprocess.CalledProcessError:
        sys.exit("The restore failed (see above); the database is unchanged.")
    # pg_restore brings no planner statistics back.
    subprocess.run([tool("psql"), "--no-psqlrc", "--no-password", "--quiet",
                    "--command", "SET client_min_messages = error; ANALYZE"], env=env, check=True)
    say(f"restored {file} into {env['PGDATABASE']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    back = sub.add_parser("backup", help="write a backup file")
    back.add_argument("--url", help="the database (default: see this script's docstring)")
    back.add_argument("--file", type=Path, help="where to write (default: .local/backups/)")
    rest = sub.add_parser("restore", help="restore a backup file into an empty database")
    rest.add_argument("file", type=Path)
    rest.add_argument("--url", help="the empty database to restore into")
    rest.add_argument("--replace", action="store_true",
                      help="drop the database and create it again first (stop the service)")
    args = parser.parse_args()
    with database_url(args.url) as url:
        if args.command == "backup":
            backup(url, args.file)
        else:
            restore(url, args.file, replace=args.replace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
