"""PostgreSQL row-level security for tenant-owned tables.

Each tenant-owned table gets a policy that shows and accepts only rows whose ``tenant_id`` equals
the session's ``app.tenant_id`` (set by pcns.tenancy). The application's database role is not the
table owner and has NOBYPASSRLS, so the policy binds it even when a query forgets its filter.

A new tenant-owned model needs ``enable_rls("<table>")`` in a migration; the test
tests/isolation/test_row_level_security.py fails until it has one.
"""

from __future__ import annotations

from django.apps import apps
from django.db import migrations

FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION app_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION app_current_user() RETURNS uuid
    LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
"""


def create_functions() -> migrations.RunSQL:
    return migrations.RunSQL(
        FUNCTIONS_SQL,
        "DROP FUNCTION IF EXISTS app_current_tenant(); DROP FUNCTION IF EXISTS app_current_user();",
    )


def enable_rls(
    table: str, *, column: str = "tenant_id", also_visible_when: str = ""
) -> migrations.RunSQL:
    """Turn on RLS for ``table``: rows of the current tenant only, for reads and writes.

    ``also_visible_when`` widens what may be *read* (never what may be written), e.g. a user's
    own membership before their tenant is known.
    """
    using = f"{column} = app_current_tenant()"
    if also_visible_when:
        using = f"({using}) OR ({also_visible_when})"
    return migrations.RunSQL(
        f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON {table}
            USING ({using})
            WITH CHECK ({column} = app_current_tenant());
        """,
        f"""
        DROP POLICY IF EXISTS tenant_isolation ON {table};
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
        """,
    )


def tenant_owned_models() -> list[type]:
    """Every model whose rows belong to one tenant (the Tenant table itself included)."""
    from pcns.models import Tenant

    found: list[type] = [Tenant]
    for model in apps.get_models():
        field = next((f for f in model._meta.fields if f.name == "tenant"), None)
        if field is not None and field.related_model is Tenant:
            found.append(model)
    return found
