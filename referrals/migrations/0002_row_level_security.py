"""Row-level security on every tenant-owned table of the referrals app (see pcns/rls.py)."""

from django.db import migrations

from pcns.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [
        enable_rls("referrals_postcodearea"),
        enable_rls("referrals_person"),
        enable_rls("referrals_personmerge"),
        enable_rls("referrals_referral"),
        enable_rls("referrals_jointworker"),
        enable_rls("referrals_referralevent"),
        enable_rls("referrals_intakerefusal"),
    ]
