"""Row-level security on every tenant-owned table of the caseload app (see pcns/rls.py)."""

from django.db import migrations

from pcns.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("caseload", "0001_initial")]

    operations = [
        enable_rls("caseload_contact"),
        enable_rls("caseload_assessment"),
        enable_rls("caseload_careplan"),
        enable_rls("caseload_careplanversion"),
        enable_rls("caseload_intervention"),
        enable_rls("caseload_outcomemeasure"),
        enable_rls("caseload_riskconcern"),
    ]
