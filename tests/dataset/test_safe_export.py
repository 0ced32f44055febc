"""Exports open safely in a spreadsheet (no live formula, UTF-8 with a byte-order mark) and the
dataset export still round-trips exactly through the importer."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Value
from django.db.models.functions import Concat
from django.urls import reverse

from config.csv_export import BOM, guard, unguard
from pcns.dataset import all_kinds, dataset_export, dataset_import
from pcns.dataset.files import read_folder, read_zip
from pcns.models import Tenant, User
from pcns.tenancy import tenant_context
from referrals.models import Person
from tests.factories import make_person

pytestmark = pytest.mark.django_db

TRICKY = ["=1+1", "+44 114 496 0000", "-", "@home", "'quoted", "''", "'=", "Zoë", "-5",
          "=HYPERLINK(\"http://x\")", "-2+3", "'plain", "a=b"]
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def live_formula(cell: str) -> bool:
    """What a spreadsheet would run: a cell starting =, +, -, @, tab or CR that is not a number."""
    return cell[:1] in {"=", "+", "-", "@", "\t", "\r"} and not _NUMBER.fullmatch(cell)


def cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
            for cell in row]


def test_guard_then_unguard_gives_back_every_value_and_leaves_no_live_formula():
    for value in [*TRICKY, "", "'", "\tcmd", "\r", "plain text", "-0.25", "--1"]:
        written = guard(value)
        assert not live_formula(written), value
        assert unguard(written) == value


def test_unguard_leaves_a_hand_written_leading_quote_before_ordinary_text():
    assert unguard("'hello") == "'hello"
    assert unguard("'") == "'"


def tricky_people(cast) -> None:
    """Two people whose names and details would run as formulas, start with a quote or carry
    an accent."""
    rows = [("=1+1", "+44 114 496 0000", "-", "@home"), ("'quoted", "''", "'=", "Zoë")]
    for given, family, language, address in rows:
        person = make_person(cast)
        with tenant_context(cast.tenant.pk):
            Person.objects.filter(pk=person.pk).update(
                given_name=given, family_name=family, language=language, address=address,
                phone="+44 114 496 0000")


def test_download_all_records_has_a_bom_and_no_live_formula_in_any_cell(client, tenant_a):
    tricky_people(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("pcns:export"))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(files) == sorted(kind.file_name for kind in all_kinds())
    for name, data in files.items():
        assert data.startswith(BOM.encode()), name
        for cell in cells(data):
            assert not live_formula(cell), (name, cell)
    people = cells(files["people.csv"])
    assert "'=1+1" in people and "Zoë" in people and "''quoted" in people
    assert "'+44 114 496 0000" in people


def test_the_export_imports_into_an_empty_tenant_and_exports_identically(client, tenant_a):
    tricky_people(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    first_zip = client.post(reverse("pcns:export")).content
    with tenant_context(tenant_a.tenant.pk):
        first = dataset_export()
    User.objects.filter(email__endswith="@northtown.test").update(
        email=Concat(Value("moved-"), "email"))
    target = uuid.uuid4()
    with tenant_context(target):
        Tenant.objects.create(id=target, slug="roundtrip", name="Roundtrip")
        report = dataset_import(tables=read_zip(first_zip, all_kinds()), actor=None)
        assert report.errors == []
        second = dataset_export()
        names = {(p.given_name, p.family_name, p.language, p.address)
                 for p in Person.objects.all()}
    assert first == second
    assert ("=1+1", "+44 114 496 0000", "-", "@home") in names
    assert ("'quoted", "''", "'=", "Zoë") in names


def test_the_export_command_writes_files_with_a_bom_and_no_live_formula(tenant_a, tmp_path):
    tricky_people(tenant_a)
    folder = tmp_path / "export"
    call_command("export_dataset", str(folder), "--tenant", "northtown", stdout=io.StringIO())
    for path in folder.iterdir():
        data = path.read_bytes()
        assert data.startswith(BOM.encode()), path.name
        assert not [cell for cell in cells(data) if live_formula(cell)], path.name
    tables = read_folder(folder, all_kinds())
    given = {row.cells["given_name"] for row in tables["people"]}
    assert "=1+1" in given


def _people_file(folder: Path, *, bom: bool) -> None:
    text = ("id,nhs_number,given_name,family_name,date_of_birth,sex\n"
            "P1,,'=1+1,Zoë,1980-04-02,female\n")
    folder.mkdir()
    (folder / "people.csv").write_text((BOM if bom else "") + text, encoding="utf-8")


@pytest.mark.parametrize("bom", [True, False])
def test_the_importer_reads_files_with_or_without_a_bom(tmp_path, bom):
    folder = tmp_path / "in"
    _people_file(folder, bom=bom)
    [row] = read_folder(folder, all_kinds())["people"]
    assert row.cells["id"] == "P1"
    assert (row.cells["given_name"], row.cells["family_name"]) == ("=1+1", "Zoë")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("people.csv", (folder / "people.csv").read_bytes())
    [row] = read_zip(data.getvalue(), all_kinds())["people"]
    assert (row.cells["id"], row.cells["given_name"]) == ("P1", "=1+1")
