"""`manage.py load_postcodes`: a tenant loads its postcode lookup from a CSV."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from pcns.tenancy import tenant_context
from referrals.models import PostcodeArea

pytestmark = pytest.mark.django_db


def test_a_tenant_loads_its_postcodes_and_updates_them_on_a_second_load(tenant_a, tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text("postcode,lsoa_code,imd_decile\ns2 4ab,E01000010,2\nS3 7QQ,E01000011,9\n")
    call_command("load_postcodes", str(path), "--tenant", "northtown")
    path.write_text("postcode,lsoa_code,imd_decile\nS2 4AB,E01000010,4\n")
    call_command("load_postcodes", str(path), "--tenant", "northtown")
    with tenant_context(tenant_a.tenant.pk):
        assert dict(PostcodeArea.objects.values_list("postcode", "imd_decile")) == {
            "S1 2HE": 3, "S2 4AB": 4, "S3 7QQ": 9}


def test_a_file_with_a_bad_row_loads_nothing_and_names_the_row(tenant_a, tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text("postcode,lsoa_code,imd_decile\nS2 4AB,E01000010,2\nnot a postcode,E0,3\n")
    with pytest.raises(CommandError, match="Row 3"):
        call_command("load_postcodes", str(path), "--tenant", "northtown")
    with tenant_context(tenant_a.tenant.pk):
        assert not PostcodeArea.objects.filter(postcode="S2 4AB").exists()


def test_an_unknown_tenant_is_refused(db, tmp_path):
    path = tmp_path / "postcodes.csv"
    path.write_text("postcode,lsoa_code,imd_decile\n")
    with pytest.raises(CommandError, match="No tenant with the slug 'atlantis'"):
        call_command("load_postcodes", str(path), "--tenant", "atlantis")
