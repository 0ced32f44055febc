"""A narrow way for platform jobs to list the tenants they must fan out to.

The tenant table is behind row-level security, so a job running with no tenant context sees no
tenants at all. This SECURITY DEFINER function, owned by the schema owner, answers just that one
question (which tenant ids exist) and nothing else.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION app_tenant_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM pcns_tenant ORDER BY id $$;
"""


class Migration(migrations.Migration):
    dependencies = [("pcns", "0004_tenant_id_for_slug")]

    operations = [
        migrations.RunSQL(SQL, "DROP FUNCTION IF EXISTS app_tenant_ids();"),
    ]
