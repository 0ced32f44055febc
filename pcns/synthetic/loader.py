"""Writing rows with COPY as the owner role, with foreign keys and indexes set aside meanwhile.

Why the owner: the application role is bound by row-level security, and PostgreSQL refuses
``COPY FROM`` into a table with row-level security for such a role. The owner is not bound
(the tables do not FORCE row-level security), so it can COPY straight into the tables; going
through an unlogged staging table and ``INSERT ... SELECT`` as the application role would write
every row twice. Every row names its tenant_id explicitly.

Why the foreign keys are set aside: PostgreSQL checks a foreign key row by row, and with the
deferred constraints Django creates, all the checks queue up until commit; for millions of
rows that is most of the time spent. So the foreign keys of the tables being filled are
dropped inside the transaction and added back at the end, which checks every row of the table
(all tenants) in one join per key.

Why the indexes are set aside: a contact has ten indexes, most on values that arrive in no
order (staff, team, date), and inserting into them row by row costs about twice as much as
building them afterwards by sorting. The indexes that back no constraint are dropped and
built again from their own definitions at the end, which also checks the partial unique ones
(one open referral per person and team, one NHS number per tenant). Primary keys and unique
constraints stay; the primary keys grow at their end, because the ids count up (ids.py).

It all happens in one transaction: if anything fails, the rows, constraints and indexes roll
back together. The cost is an ACCESS EXCLUSIVE lock on those tables until commit, so the
generator is for an empty, test or benchmark database, not a live one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.models import Model
from psycopg import Connection, errors, sql
from psycopg.copy import QueuedLibpqWriter

#: Rows per write to the COPY stream: large enough that the per-call cost vanishes.
_BATCH = 5_000
#: How long to wait for another session's lock on a table before giving up.
LOCK_TIMEOUT = "30s"
#: Memory for building the indexes and checking the foreign keys in this transaction only:
#: the server defaults (64MB, 4MB) make both sort and hash on disk at national scale.
SESSION_SETTINGS = {"maintenance_work_mem": "512MB", "work_mem": "128MB"}


class GenerationError(Exception):
    """Something the person running the command can act on."""


class Timings:
    """Seconds and rows per phase, added up over tenants, in the order phases first ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: dict[str, int] = defaultdict(int)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started


def check_columns(model: type[Model], columns: tuple[str, ...]) -> None:
    """A generator must give every column of its table, so a new field added to a model fails
    here, by name, instead of as a NOT NULL error halfway through a run."""
    expected = {field.column for field in model._meta.concrete_fields}
    missing, unknown = expected - set(columns), set(columns) - expected
    if missing or unknown:
        raise RuntimeError(f"{model._meta.db_table}: the synthetic rows miss {sorted(missing)} "
                           f"and have unknown {sorted(unknown)}; update pcns/synthetic.")


class Loader:
    """Streams rows into tables with COPY on one connection, inside the caller's transaction.

    ``QueuedLibpqWriter`` sends data from a second thread, so Python keeps generating rows
    while PostgreSQL parses and stores the previous ones: on two cores the two overlap.
    """

    def __init__(self, connection: Connection, timings: Timings) -> None:
        self.connection = connection
        self.timings = timings

    def copy(self, phase: str, model: type[Model], columns: tuple[str, ...],
             rows: Iterable[str]) -> int:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table),
            sql.SQL(", ").join(sql.Identifier(column) for column in columns),
        )
        count = 0
        with (self.timings.phase(phase), self.connection.cursor() as cursor,
              cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as stream):
            batch: list[str] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= _BATCH:
                    stream.write("".join(batch))
                    count += len(batch)
                    batch.clear()
            if batch:
                stream.write("".join(batch))
                count += len(batch)
        self.timings.rows[phase] += count
        return count


def lock_tables(connection: Connection, tables: list[str]) -> None:
    """Take the locks the load needs up front, failing clearly if the tables are busy; set
    this transaction's memory for the index builds and key checks at the end."""
    with connection.cursor() as cursor:
        for name, value in {**SESSION_SETTINGS, "lock_timeout": LOCK_TIMEOUT}.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        try:
            cursor.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.Identifier(table) for table in tables)))
        except errors.LockNotAvailable:
            raise GenerationError(
                f"Another session is using the tables (waited {LOCK_TIMEOUT}): run the "
                "generator on a database nothing else is using.") from None


def set_aside_foreign_keys(connection: Connection,
                           tables: list[str]) -> list[tuple[str, str, str]]:
    """Drop the foreign keys of ``tables``; returns (table, name, definition) to restore."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT rel.relname, con.conname, pg_get_constraintdef(con.oid)
                 FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
                WHERE con.contype = 'f' AND rel.relname = ANY(%s)
                  AND rel.relnamespace = to_regnamespace(current_schema())
                ORDER BY rel.relname, con.conname""",
            [tables],
        )
        saved = cursor.fetchall()
        for table, name, _definition in saved:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)))
    return saved


def restore_foreign_keys(connection: Connection, saved: list[tuple[str, str, str]]) -> None:
    """Add the foreign keys back exactly as they were; each checks every row of its table."""
    with connection.cursor() as cursor:
        for table, name, definition in saved:
            cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                sql.Identifier(table), sql.Identifier(name)) + sql.SQL(definition))


def set_aside_indexes(connection: Connection, tables: list[str]) -> list[str]:
    """Drop the indexes of ``tables`` that back no constraint (the primary keys and unique
    constraints stay); returns their definitions to build them again."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT idx.relname, pg_get_indexdef(ind.indexrelid)
                 FROM pg_index ind
                 JOIN pg_class idx ON idx.oid = ind.indexrelid
                 JOIN pg_class rel ON rel.oid = ind.indrelid
                WHERE rel.relname = ANY(%s)
                  AND rel.relnamespace = to_regnamespace(current_schema())
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                                   WHERE con.conindid = ind.indexrelid)
                ORDER BY rel.relname, idx.relname""",
            [tables],
        )
        saved = cursor.fetchall()
        for name, _definition in saved:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [definition for _name, definition in saved]


def restore_indexes(connection: Connection, definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(sql.SQL(definition))


def analyze(connection: Connection, tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
