"""Switching the default connection to the database owner role, for schema work only; and
advisory locks, by which background runs show they are alive.

The web process and the workers connect as the application role (DATABASE_URL), which cannot
create tables, bypass row-level security or rewrite the audit log. Migrations, and emptying the
database between browser tests, need the owner role (DATABASE_OWNER_URL).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.db.transaction import TransactionManagementError

# Tables the application role may read and append to, but never change or delete from.
APPEND_ONLY_TABLES = [
    "pcns_auditevent", "referrals_referralevent", "caseload_careplanversion",
    "vcse_onwardreferralevent", "referrals_revision",
]
#: Columns of append-only tables the application role may still set: a care plan version is
#: never rewritten, but may be marked entered in error (caseload/corrections.py).
APPEND_ONLY_UPDATABLE_COLUMNS = {"caseload_careplanversion": ["entered_in_error_at"]}


@contextlib.contextmanager
def owner_connection(alias: str = "default") -> Iterator[None]:
    owner = getattr(settings, "DATABASE_OWNER", None)
    conn = connections[alias]
    if not owner or owner["USER"] == conn.settings_dict["USER"]:
        yield
        return
    saved = {key: conn.settings_dict[key] for key in ("USER", "PASSWORD")}
    conn.close()
    conn.settings_dict.update(USER=owner["USER"], PASSWORD=owner["PASSWORD"])
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.update(saved)


def application_role(alias: str = "default") -> str | None:
    """The role the application connects as, when it differs from the owner."""
    owner = getattr(settings, "DATABASE_OWNER", None)
    app_user = settings.DATABASE_APP_ROLE
    if not owner or owner["USER"] == app_user:
        return None
    return app_user


def grant_application_role(role: str | None, alias: str = "default") -> None:
    """Give the application role row access to every table (run as the owner after migrate)."""
    if role is None:
        return
    quoted = connections[alias].ops.quote_name(role)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}")
        for table, columns in APPEND_ONLY_UPDATABLE_COLUMNS.items():
            cursor.execute(f"GRANT UPDATE ({', '.join(columns)}) ON {table} TO {quoted}")


def advisory_xact_lock(key: str, *, wait: bool = True) -> bool:
    """Take the advisory lock named ``key`` until the current transaction ends. Without
    ``wait``, return False at once if another session holds it."""
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtextextended(%s, 7))", [key])
        return wait or cursor.fetchone()[0]


@contextlib.contextmanager
def advisory_session_lock(key: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold the advisory lock named ``key`` while the block runs, across its transactions;
    yields whether it is held (always, with ``wait``; without, False if another session holds
    it, and the block should leave the work to that one).

    A process that dies inside the block loses its connection, and the lock with it: another
    session that can take the lock (``advisory_xact_lock(key, wait=False)``) knows the work
    stopped. For work outside any transaction (a task): should the unlock fail, the
    connection is closed, which lets the lock go too.
    """
    function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(hashtextextended(%s, 7))", [key])
        held = wait or cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            _advisory_unlock(key)


def _advisory_unlock(key: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 7))", [key])
    except (DatabaseError, TransactionManagementError):
        if not connection.in_atomic_block:
            connection.close()
