"""A narrow way for operators' commands to name a tenant by its slug.

The tenant table is behind row-level security, so the application role cannot look a slug up
before it knows the tenant. This SECURITY DEFINER function, owned by the schema owner, answers
just that one question (slug -> id) and nothing else.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION app_tenant_id_for_slug(wanted text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM pcns_tenant WHERE slug = wanted $$;
"""


class Migration(migrations.Migration):
    dependencies = [("pcns", "0003_tenant_re_referral_window")]

    operations = [
        migrations.RunSQL(SQL, "DROP FUNCTION IF EXISTS app_tenant_id_for_slug(text);"),
    ]
