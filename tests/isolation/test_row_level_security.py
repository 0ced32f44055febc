"""Row-level security: another tenant's rows are invisible even to SQL that forgets its filter."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from pcns.models import AuditEvent, Organisation
from pcns.rls import tenant_owned_models
from pcns.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _tables() -> list[tuple[str, str]]:
    """(table, tenant column) for every tenant-owned model."""
    return [
        (m._meta.db_table, "id" if m._meta.model_name == "tenant" else "tenant_id")
        for m in tenant_owned_models()
    ]


def test_every_tenant_owned_table_has_row_level_security_and_a_policy():
    with connection.cursor() as cursor:
        for table, _ in _tables():
            cursor.execute("SELECT relrowsecurity FROM pg_class WHERE relname = %s", [table])
            assert cursor.fetchone() == (True,), f"{table} has no row-level security"
            cursor.execute("SELECT count(*) FROM pg_policies WHERE tablename = %s", [table])
            assert cursor.fetchone()[0] >= 1, f"{table} has no policy"


def test_the_application_role_cannot_bypass_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0, "the application role must not own tables"


def test_raw_sql_in_tenant_b_context_sees_no_tenant_a_rows_in_any_table(tenant_a, tenant_b):
    tables = _tables()
    with tenant_context(tenant_a.tenant.pk), connection.cursor() as cursor:
        for table, _ in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] > 0, f"the cast should have rows in {table}"

    with tenant_context(tenant_b.tenant.pk), connection.cursor() as cursor:
        for table, column in tables:
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE {column} = %s",
                [tenant_a.tenant.pk],
            )
            assert cursor.fetchone()[0] == 0, f"{table} leaked tenant A rows"
            cursor.execute(
                f"SELECT count(*) FROM {table} WHERE {column} <> %s",
                [tenant_b.tenant.pk],
            )
            assert cursor.fetchone()[0] == 0, f"{table} shows rows of another tenant"


def test_without_a_tenant_context_tenant_tables_are_empty(tenant_a):
    with connection.cursor() as cursor:
        for table, _ in _tables():
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0, f"{table} answered rows without a tenant"


def test_writing_a_row_for_another_tenant_is_refused(tenant_a, tenant_b):
    with (
        tenant_context(tenant_b.tenant.pk),
        pytest.raises(DatabaseError, match="row-level security"),
        transaction.atomic(),
    ):
        Organisation.objects.create(tenant=tenant_a.tenant, kind="pcn", name="Sneaky PCN")


def test_updating_another_tenants_rows_changes_nothing(tenant_a, tenant_b):
    with tenant_context(tenant_b.tenant.pk):
        changed = Organisation.objects.filter(tenant=tenant_a.tenant).update(name="Renamed")
    assert changed == 0
    with tenant_context(tenant_a.tenant.pk):
        assert not Organisation.objects.filter(name="Renamed").exists()


@pytest.mark.parametrize("statement", ["UPDATE pcns_auditevent SET note = 'rewritten'",
                                       "DELETE FROM pcns_auditevent"])
def test_the_audit_log_cannot_be_rewritten_by_the_application(tenant_a, statement):
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.exists()
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
