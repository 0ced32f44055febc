"""`make backup` and `make restore` for real: the demo database backed up with the script and
restored into an empty database has every row of every table, and keeps its row-level security
and the application role's grants."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def owner_url(database: str) -> str:
    db = settings.DATABASES["default"]
    owner = settings.DATABASE_OWNER
    return (f"postgres://{quote(owner['USER'])}:{quote(owner['PASSWORD'])}@{db['HOST']}:"
            f"{db['PORT']}/{database}")


def script(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_")}
    return subprocess.run([sys.executable, "scripts/backup.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)


def fingerprint(url: str) -> dict[str, object]:
    """Per table its row count and an md5 of its rows in a fixed order; sequence positions;
    which tables have row-level security and their policies; the application role's grants."""
    found: dict[str, object] = {}
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        for table in tables:
            found[table] = conn.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, E\'\\n\' ORDER BY t::text), '
                f"'')) FROM \"{table}\" t").fetchone()
        for (sequence,) in conn.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").fetchall():
            found[f"sequence {sequence}"] = conn.execute(
                f'SELECT last_value, is_called FROM "{sequence}"').fetchone()
        found["rls"] = conn.execute(
            "SELECT relname FROM pg_class WHERE relrowsecurity ORDER BY 1").fetchall()
        found["policies"] = conn.execute(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies "
            "ORDER BY 1, 2").fetchall()
        found["grants"] = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s ORDER BY 1, 2", [settings.DATABASE_APP_ROLE]).fetchall()
        found["owners"] = conn.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return found


@pytest.fixture
def empty_database():
    name = f"restore_{uuid.uuid4().hex[:8]}"
    source = settings.DATABASES["default"]["NAME"]
    with psycopg.connect(owner_url(source), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(owner_url(source), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_of_the_demo_restored_into_an_empty_database_has_every_row(
        transactional_db, empty_database, tmp_path):
    call_command("seed_demo", "--if-empty")
    source = owner_url(settings.DATABASES["default"]["NAME"])
    file = tmp_path / "demo.dump"
    backed_up = script("backup", "--url", source, "--file", str(file))
    assert backed_up.returncode == 0, backed_up.stderr
    assert file.stat().st_mode & 0o077 == 0  # patient data: readable by its owner only
    assert settings.DATABASE_OWNER["PASSWORD"] not in backed_up.stdout + backed_up.stderr

    restored = script("restore", str(file), "--url", owner_url(empty_database))
    assert restored.returncode == 0, restored.stderr

    before, after = fingerprint(source), fingerprint(owner_url(empty_database))
    assert before["referrals_referral"][0] > 100  # the demo is really there
    assert before["pcns_auditevent"][0] > 0
    assert len(before["rls"]) > 20 and len(before["grants"]) > 20
    assert before.keys() == after.keys()
    for key in before:
        assert after[key] == before[key], key

    # A second restore into the now full database is refused, leaving it as it is.
    again = script("restore", str(file), "--url", owner_url(empty_database))
    assert again.returncode != 0 and "is not empty" in again.stderr
    assert fingerprint(owner_url(empty_database)) == after


def test_the_pip_postgresql_has_the_tools_the_backup_script_uses():
    if importlib.util.find_spec("pgserver") is None:
        pytest.skip("pgserver is installed only where PostgreSQL is not (scripts/stack.py)")
    sys.path.insert(0, str(ROOT / "scripts"))
    import stack

    os.environ["STACK_PIP_SERVERS"] = "1"
    try:
        folder = stack.postgres_bin_dir()
    finally:
        del os.environ["STACK_PIP_SERVERS"]
    for name in ("pg_dump", "pg_restore", "psql", "pg_basebackup"):
        assert (folder / name).exists(), name
