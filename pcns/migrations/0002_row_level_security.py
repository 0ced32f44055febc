"""Row-level security on every tenant-owned table of the pcns app (see pcns/rls.py)."""

from django.db import migrations

from pcns.rls import create_functions, enable_rls


class Migration(migrations.Migration):
    dependencies = [("pcns", "0001_initial")]

    operations = [
        create_functions(),
        enable_rls("pcns_tenant", column="id"),
        enable_rls("pcns_organisation"),
        enable_rls("pcns_intakepause"),
        enable_rls("pcns_team"),
        # A user may read their own membership before their tenant is known (sign-in).
        enable_rls("pcns_membership", also_visible_when="user_id = app_current_user()"),
        enable_rls("pcns_teammembership"),
        enable_rls("pcns_auditevent"),
    ]
