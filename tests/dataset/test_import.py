"""Bulk import: every row checked, all or nothing, and a re-import changes nothing."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from caseload.models import Contact
from pcns.dataset import dataset_import
from pcns.dataset.engine import DatasetError
from pcns.dataset.files import read_folder
from pcns.models import AuditEvent, ExternalId
from pcns.tenancy import tenant_context
from referrals.models import Person, Referral, ReferralEvent
from referrals.states import EventKind
from tests.dataset.helpers import contact_row, person_row, referral_row, tables
from tests.factories import fresh_nhs_number

pytestmark = pytest.mark.django_db


def clean_files(cast, nhs: str | None = None) -> dict:
    nhs = nhs or fresh_nhs_number()
    return dict(
        people=[person_row("P1", nhs), person_row("P2", fresh_nhs_number(), given_name="Bo")],
        referrals=[
            referral_row("R1", "P1", cast.pcn_team, status="accepted", triaged_on="2021-03-02",
                         triaged_by_id=str(cast.team_lead.membership.pk)),
            referral_row("R2", "P2", cast.pcn_team),
        ],
        contacts=[contact_row("C1", "R1", cast.pcn_team, cast.clinician),
                  contact_row("C2", "R1", cast.pcn_team, cast.clinician, on="2021-03-09",
                              attendance="dna")],
    )


def counts(cast) -> dict[str, int]:
    with tenant_context(cast.tenant.pk):
        return {"people": Person.objects.count(), "referrals": Referral.objects.count(),
                "contacts": Contact.objects.count(), "events": ReferralEvent.objects.count(),
                "audit": AuditEvent.objects.count(), "ids": ExternalId.objects.count()}


def run(cast, files, **options):
    with tenant_context(cast.tenant.pk):
        return dataset_import(tables=tables(**files), actor=cast.tenant_admin, **options)


def test_a_clean_import_creates_the_records_with_audit_and_timeline(tenant_a):
    before = counts(tenant_a)
    report = run(tenant_a, clean_files(tenant_a))
    assert report.errors == [] and report.imported
    after = counts(tenant_a)
    assert after["people"] - before["people"] == 2
    assert after["referrals"] - before["referrals"] == 2
    assert after["contacts"] - before["contacts"] == 2
    assert after["audit"] - before["audit"] == 6  # each person, referral and contact
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(pk=ExternalId.objects.get(
            kind="referrals", external_id="R1").record_id)
        assert referral.status == "accepted"
        assert referral.triaged_by == tenant_a.team_lead
        assert referral.person.given_name == "Ada"
        assert referral.contacts.filter(attendance="dna").count() == 1
        assert referral.contacts.first().staff_role == "mhp"  # from the member of staff
        event = referral.events.get()
        assert event.kind == EventKind.IMPORTED and event.effective_on == dt.date(2021, 3, 1)


def test_a_clean_re_import_changes_nothing(tenant_a):
    files = clean_files(tenant_a)
    run(tenant_a, files)
    before = counts(tenant_a)
    report = run(tenant_a, files)
    assert report.imported and report.errors == []
    assert counts(tenant_a) == before
    assert {name: (c.created, c.updated, c.unchanged) for name, c in report.counts.items()} == {
        "people": (0, 0, 2), "referrals": (0, 0, 2), "contacts": (0, 0, 2)}


def test_a_changed_cell_updates_the_record_and_audits_which_field(tenant_a):
    files = clean_files(tenant_a)
    run(tenant_a, files)
    files["people"][0]["family_name"] = "Byron"
    report = run(tenant_a, files)
    assert report.counts["people"].updated == 1
    with tenant_context(tenant_a.tenant.pk):
        person = Person.objects.get(pk=ExternalId.objects.get(kind="people",
                                                              external_id="P1").record_id)
        assert person.family_name == "Byron"
        audit = AuditEvent.objects.filter(target_id=str(person.pk), action="change").get()
        assert audit.fields == ["family_name"]
        assert Person.objects.filter(family_name="Lovelace", given_name="Ada").count() == 0


@pytest.mark.parametrize(("file", "line", "column", "change", "message"), [
    ("people", 2, "nhs_number", {"nhs_number": "9434765918"}, "not a valid NHS number"),
    ("referrals", 3, "source", {"source": "pigeon"}, "is not a known code"),
    ("contacts", 2, "on", {"on": "FUTURE"}, "in the future"),
    ("referrals", 2, "received_on", {"received_on": "FUTURE"}, "is in the future"),
    ("contacts", 3, "referral_id", {"referral_id": "R99"}, "There is no referral 'R99'"),
])
def test_one_bad_row_imports_nothing_and_the_report_names_that_row(tenant_a, file, line, column,
                                                                    change, message):
    files = clean_files(tenant_a)
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    row = files[file][line - 2]
    row.update({k: future if v == "FUTURE" else v for k, v in change.items()})
    before = counts(tenant_a)
    report = run(tenant_a, files)
    assert not report.imported
    assert counts(tenant_a) == before
    failing = [e for e in report.errors if e.file == f"{file}.csv"]
    assert failing, report.errors
    assert (failing[0].line, failing[0].id, failing[0].column) == (line, row["id"], column)
    assert message in failing[0].message


def test_a_row_that_depends_on_a_failing_row_says_so(tenant_a):
    files = clean_files(tenant_a)
    files["referrals"][0]["source"] = "pigeon"
    report = run(tenant_a, files)
    messages = {(e.file, e.id): e.message for e in report.errors}
    assert "which has errors" in messages[("contacts.csv", "C1")]


def test_partial_import_keeps_the_good_rows_and_reports_the_bad(tenant_a):
    files = clean_files(tenant_a)
    files["referrals"][1]["received_on"] = "2021-02-30"
    before = counts(tenant_a)
    report = run(tenant_a, files, partial=True)
    assert report.imported
    assert [(e.id, e.column) for e in report.errors] == [("R2", "received_on")]
    after = counts(tenant_a)
    assert after["people"] - before["people"] == 2
    assert after["referrals"] - before["referrals"] == 1


def test_status_rules_and_nhs_numbers_twice_in_the_file_are_checked(tenant_a):
    files = clean_files(tenant_a, nhs=None)
    files["referrals"][0].pop("triaged_on")  # accepted without a triage date
    files["people"][1]["nhs_number"] = files["people"][0]["nhs_number"]  # twice in the file
    report = run(tenant_a, files)
    found = {(e.id, e.column) for e in report.errors}
    assert ("R1", "triaged_on") in found
    assert ("P2", "nhs_number") in found


def test_another_places_records_cannot_be_named_by_their_ids(tenant_a, tenant_b):
    with tenant_context(tenant_b.tenant.pk):
        their_referral = Referral.objects.first()
    files = clean_files(tenant_a)
    files["referrals"][1]["team_id"] = str(tenant_b.pcn_team.pk)
    files["contacts"][1]["referral_id"] = str(their_referral.pk)
    before = counts(tenant_a)
    report = run(tenant_a, files)
    found = {(e.id, e.column): e.message for e in report.errors}
    assert found[("R2", "team_id")].startswith("There is no team")
    assert found[("C2", "referral_id")].startswith("There is no referral")
    assert not report.imported and counts(tenant_a) == before


def test_an_nhs_number_already_in_the_place_is_refused(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        taken = Person.objects.exclude(nhs_number="").first().nhs_number
    report = run(tenant_a, clean_files(tenant_a, nhs=taken))
    assert (report.errors[0].id, report.errors[0].column) == ("P1", "nhs_number")
    assert "Another person in this place has this NHS number" in report.errors[0].message
    assert not report.imported


def test_a_second_open_referral_to_the_same_team_is_refused(tenant_a):
    files = clean_files(tenant_a)
    files["referrals"].append(referral_row("R3", "P2", tenant_a.pcn_team))
    report = run(tenant_a, files)
    assert {e.id for e in report.errors} >= {"R3"}


def test_unknown_columns_are_refused_before_any_row(tmp_path, tenant_a):
    (tmp_path / "people.csv").write_text("id,given_name,family_name,date_of_birth,sex,shoe\n")
    with pytest.raises(DatasetError, match="shoe"):
        read_folder(tmp_path, __import__("pcns.dataset").dataset.all_kinds())


def test_the_command_imports_a_folder_and_fails_loudly_on_a_bad_row(tmp_path, tenant_a, capsys):
    from pcns.dataset.files import csv_text

    files = clean_files(tenant_a)
    for name, rows in files.items():
        header = list(dict.fromkeys(k for row in rows for k in row))
        (tmp_path / f"{name}.csv").write_text(
            csv_text(header, [{k: row.get(k, "") for k in header} for row in rows]))
    call_command("import_dataset", str(tmp_path), tenant="northtown")
    assert "people: 2 rows, 2 created" in capsys.readouterr().out
    files["contacts"][0]["mode"] = "carrier_pigeon"
    header = list(files["contacts"][0])
    (tmp_path / "contacts.csv").write_text(csv_text(header, files["contacts"]))
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_dataset", str(tmp_path), tenant="northtown")
    assert "contacts.csv line 2 (id C1) mode:" in capsys.readouterr().err
