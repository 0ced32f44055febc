"""Row-level security on every tenant-owned table of the vcse app (see pcns/rls.py)."""

from django.db import migrations

from pcns.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("vcse", "0001_initial")]

    operations = [
        enable_rls("vcse_service"),
        enable_rls("vcse_servicearea"),
        enable_rls("vcse_onwardreferral"),
        enable_rls("vcse_consent"),
        enable_rls("vcse_vcsecontact"),
        enable_rls("vcse_onwardreferralevent"),
    ]
