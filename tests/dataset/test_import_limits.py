"""Limits on imports: zip bombs refused from the zip's directory, before anything is expanded;
too many files or rows, and cells too long or holding control characters, reported by name."""

from __future__ import annotations

import io
import secrets
import struct
import time
import zipfile
import zlib

import pytest
from django.urls import reverse

from config import limits
from pcns.dataset import all_kinds, dataset_import
from pcns.dataset.engine import DatasetError
from pcns.dataset.files import read_zip
from pcns.models import ImportStatus
from pcns.tenancy import tenant_context
from tests.dataset.helpers import person_row, tables
from tests.dataset.test_upload import execute, reload, run_count, run_for, upload, zip_of
from tests.factories import fresh_nhs_number

pytestmark = pytest.mark.django_db
__all__ = ["run_for"]  # the fixture, used by name below


def zip_bomb(expanded_mb: int) -> bytes:
    """A real zip bomb: one file of ``expanded_mb`` MB of zeros in about a thousandth of that.

    Made without compressing it all: one MB of zeros is deflated once, flushed to a byte
    boundary with an empty dictionary, and the block repeated."""
    chunk = b"0" * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = block * expanded_mb + zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(expanded_mb):
        crc = zlib.crc32(chunk, crc)
    name, size = b"people.csv", expanded_mb * len(chunk)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), size,
                        len(name), 0) + name
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(body),
                          size, len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central),
                      len(local) + len(body), 0)
    return local + body + central + end


def with_declared_size(data: bytes, size: int) -> bytes:
    """The zip with its one file's expanded size in the central directory changed to ``size``
    (what a crafted zip can claim; zipfile believes the directory)."""
    at = data.rindex(b"PK\x01\x02")
    return data[:at + 24] + struct.pack("<I", size) + data[at + 28:]


def test_a_zip_bomb_is_refused_at_once_without_being_expanded(client, tenant_a):
    bomb = zip_bomb(1024)  # 1 GB of zeros in about 1 MB
    assert len(bomb) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive, archive.open("people.csv") as member:
        assert member.read(10) == b"0" * 10  # a real zip: it would expand
    before = run_count(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    assert client.get(reverse("pcns:import-list")).status_code == 200  # templates compiled
    started = time.perf_counter()
    response = upload(client, bomb)
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert (f"people.csv expands more than {limits.IMPORT_MAX_RATIO} times its compressed size"
            in response.content.decode())
    # Expanding 1 GB takes seconds and a gigabyte; reading the zip's directory, milliseconds.
    assert elapsed < 1, elapsed
    assert run_count(tenant_a) == before


def test_files_that_expand_to_more_than_the_total_limit_are_refused_before_reading():
    # Random text hardly compresses, so only the total can refuse it.
    text = "id\n" + secrets.token_hex(1_300_000) + "\n"  # 2.6 MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("people.csv", text)
    crafted = with_declared_size(out.getvalue(), limits.IMPORT_MAX_EXPANDED_BYTES + 1)
    # Stored, not compressed: the ratio is 1 by its sizes, but the total is over the limit.
    assert zipfile.ZipFile(io.BytesIO(crafted)).infolist()[0].compress_size < 2 * len(text)
    with pytest.raises(DatasetError, match="expand to more than 200 MB"):
        read_zip(crafted, all_kinds())


def test_a_zip_with_too_many_files_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for number in range(limits.IMPORT_MAX_FILES + 1):
            archive.writestr(f"notes/{number}.txt", "x")
    with pytest.raises(DatasetError, match=f"an import has at most {limits.IMPORT_MAX_FILES}"):
        read_zip(out.getvalue(), all_kinds())


def test_a_file_that_lies_about_its_size_is_damaged_not_read_past_its_claim():
    rows = [person_row(f"P{n}", fresh_nhs_number()) for n in range(50)]
    honest = zip_of(people=rows)
    with pytest.raises(DatasetError, match=r"people\.csv is damaged in the zip file"):
        read_zip(with_declared_size(honest, 40), all_kinds())


def test_a_file_with_more_rows_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(limits, "IMPORT_MAX_ROWS", 3)
    rows = [person_row(f"P{n}", fresh_nhs_number()) for n in range(4)]
    with pytest.raises(DatasetError, match=r"people\.csv has more than 3 rows"):
        read_zip(zip_of(people=rows), all_kinds())
    assert read_zip(zip_of(people=rows[:3]), all_kinds())["people"][2].line == 4


def test_a_200000_character_cell_is_a_row_error_naming_file_line_and_column(tenant_a, run_for):
    run = run_for(zip_of(people=[person_row("P1", fresh_nhs_number()),
                                 person_row("P2", fresh_nhs_number(),
                                            given_name="A" * 200_000)]))
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert run.status == ImportStatus.REJECTED
    assert [(e["file"], e["line"], e["id"], e["column"]) for e in run.report["errors"]] == [
        ("people.csv", 3, "P2", "given_name")]
    assert run.report["errors"][0]["message"] == "Use at most 100 characters (this has 200000)."
    assert "AAAA" not in str(run.report)


def test_a_cell_longer_than_any_cell_may_be_refuses_the_file_by_name_and_line(client, tenant_a):
    huge = secrets.token_hex(limits.IMPORT_MAX_CELL_CHARS // 2 + 1)  # hardly compresses
    data = zip_of(people=[person_row("P1", fresh_nhs_number(), given_name=huge)])
    client.force_login(tenant_a.tenant_admin)
    response = upload(client, data)
    assert response.status_code == 400
    assert ("people.csv line 2 cannot be read as CSV (a cell is longer than 1,000,000 "
            "characters" in response.content.decode())


@pytest.mark.parametrize("cell", ["Ada\x00", "Ada\x1b[31m", "\x7fAda"])
def test_a_control_character_in_a_cell_is_a_row_error(tenant_a, cell):
    rows = tables(people=[person_row("P1", fresh_nhs_number(), given_name=cell)])
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(tables=rows, actor=tenant_a.tenant_admin)
    assert not report.imported
    assert [(e.file, e.line, e.column) for e in report.errors] == [
        ("people.csv", 2, "given_name")]
    assert "control character" in report.errors[0].message


def test_a_control_character_in_an_id_is_a_row_error(tenant_a):
    rows = tables(people=[person_row("P\x001", fresh_nhs_number())])
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(tables=rows, actor=tenant_a.tenant_admin)
    assert not report.imported
    assert [(e.file, e.line, e.column) for e in report.errors] == [("people.csv", 2, "id")]


def test_newlines_and_tabs_in_a_note_are_kept(tenant_a):
    rows = tables(people=[person_row("P1", fresh_nhs_number(),
                                     address="1 High Street\nSheffield\tS1")])
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(tables=rows, actor=tenant_a.tenant_admin)
    assert report.imported, report.errors


def test_the_imports_page_states_the_limits(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    text = client.get(reverse("pcns:import-list")).content.decode()
    assert "200 MB" in text and "2,000,000 rows" in text


def test_a_report_keeps_the_first_failing_rows_and_counts_them_all(client, tenant_a, run_for,
                                                                  monkeypatch):
    monkeypatch.setattr(limits, "IMPORT_MAX_REPORTED_ERRORS", 2)
    run = run_for(zip_of(people=[person_row(f"P{n}", "9434765918") for n in range(5)]))
    execute(tenant_a, run)
    run = reload(tenant_a, run)
    assert [e["line"] for e in run.report["errors"]] == [2, 3]
    assert run.report["error_count"] == 5
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("pcns:import-detail", args=[run.pk])).content.decode()
    assert "5 problems were found." in page
