"""The VCSE activity report: per organisation, onward referrals, people by gender, answers,
attended contacts and support delivered in a period; the page, the CSV and who may see them.

Every cast already holds one onward referral to its VCSE organisation, sent and accepted today,
with one attended contact today that gave welfare and benefits advice. The hand-built data sits
in a past period (START to END) so that one falls outside it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditAction, AuditEvent, Organisation
from pcns.tenancy import tenant_context
from tests.factories import make_onward_referral, make_person, make_referral, make_service
from vcse import reports, services
from vcse.codes import SupportCategory
from vcse.models import OnwardReferral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
START = TODAY - dt.timedelta(days=40)
END = TODAY - dt.timedelta(days=10)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def _send(cast, person, service, sent_on: dt.date, referral=None):
    referral = referral or make_referral(cast, person=person,
                                         received_on=TODAY - dt.timedelta(days=60))
    return make_onward_referral(cast, referral=referral, service=service, sent_on=sent_on,
                                consent_given_on=sent_on)


def _accept(cast, onward, on: dt.date):
    return services.onward_referral_accept(onward=onward, actor=cast.vcse_worker,
                                           version=onward.version, on=on)


def _contact(cast, onward, on: dt.date, support: list[str], attendance: str = "attended"):
    return services.vcse_contact_log(
        onward=onward, actor=cast.vcse_worker,
        data=services.VcseContactInput(on=on, mode="in_person", attendance=attendance,
                                       support_types=support))


@pytest.fixture
def activity(tenant_a):
    """Three VCSE organisations: the cast's Mind (A), Southside Advice (B), Valley Gardens (C,
    nothing at all). Known answers for START..END:

    A: 4 onward referrals (two to one man, one each to two people of other genders), 3 people
       (1 male, 0 female, 2 other), 1 accepted, 1 declined, 1 no answer, 1 withdrawn before an
       answer; 2 attended contacts: 1 debt advice, 1 welfare, 1 housing.
    B: 3 onward referrals to 3 people (2 male, 1 female), 2 accepted (one since closed),
       1 no answer; 2 attended contacts: 2 debt advice, 1 employment.
    Total: 7 onward referrals, 5 people (the man referred to A and B counts once).
    """
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        org_b = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                            name="Southside Advice")
        org_c = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                            name="Valley Gardens")
        cast_service = cast.vcse.services.get()
    a_other = make_service(cast, name="Housing drop-in", categories=["housing"])
    b_service = make_service(cast, organisation=org_b, name="Southside money advice")

    m1 = make_person(cast, gender="male", given_name="Ravi", family_name="Quennell")
    m2 = make_person(cast, gender="male", given_name="Tomasz", family_name="Ollerenshaw")
    f1 = make_person(cast, gender="female", given_name="Bethan", family_name="Ackroyd")
    x1 = make_person(cast, gender="non_binary", given_name="Sam", family_name="Winterbottom")
    x2 = make_person(cast, gender="not_stated", given_name="Jo", family_name="Featherstone")
    referral_m1 = make_referral(cast, person=m1, received_on=TODAY - dt.timedelta(days=60))
    referral_f1 = make_referral(cast, person=f1, received_on=TODAY - dt.timedelta(days=60))

    with tenant_context(cast.tenant.pk):
        # Organisation A.
        before = _send(cast, f1, cast_service, day(-5), referral=referral_f1)  # not in period
        before = _accept(cast, before, day(-5))
        _contact(cast, before, day(-1), ["debt_advice"])  # the day before START: not counted
        _contact(cast, before, day(0), ["housing"])  # counted: contacts count by their date
        a1 = _accept(cast, _send(cast, m1, cast_service, START, referral=referral_m1), day(1))
        _contact(cast, a1, day(2), ["debt_advice", "welfare_benefits"])
        _contact(cast, a1, day(3), [], attendance="did_not_attend")  # delivers nothing
        _contact(cast, a1, END + dt.timedelta(days=1), ["welfare_benefits"])  # after END
        a2 = _send(cast, m1, a_other, day(3), referral=referral_m1)
        services.onward_referral_decline(onward=a2, actor=cast.vcse_worker, version=a2.version,
                                         reason="no_capacity", on=day(4))
        _send(cast, x1, cast_service, END)  # no answer yet
        a5 = _send(cast, x2, cast_service, day(4))
        services.consent_withdraw(onward=a5, actor=cast.connector, version=a5.version)
        _send(cast, f1, a_other, END + dt.timedelta(days=1), referral=referral_f1)  # after END

        # Organisation B.
        b1 = _accept(cast, _send(cast, m2, b_service, day(5)), day(6))
        _contact(cast, b1, day(7), ["debt_advice", "employment"])
        _contact(cast, b1, day(8), ["debt_advice"])
        services.onward_referral_close(onward=b1, actor=cast.vcse_worker,
                                       version=OnwardReferral.objects.get(pk=b1.pk).version,
                                       outcome="completed", on=END)
        _accept(cast, _send(cast, f1, b_service, day(6), referral=referral_f1), day(7))
        _send(cast, m1, b_service, day(7), referral=referral_m1)  # no answer yet
    return {"cast": cast, "b": org_b, "c": org_c,
            "people": [m1, m2, f1, x1, x2]}


def _report(cast, organisation_ids=None, start=START, end=END) -> reports.ActivityReport:
    with tenant_context(cast.tenant.pk):
        return reports.activity_report(**reports.tenant_sources(cast.tenant.pk), start=start,
                                       end=end, organisation_ids=organisation_ids)


def _support(**counts) -> dict[str, int]:
    return {code: counts.get(code, 0) for code in SupportCategory.values}


# --------------------------------------------------------------------------- the figures


def test_each_organisation_has_its_referrals_people_by_gender_answers_and_support(activity):
    cast = activity["cast"]
    report = _report(cast)
    by_name = {row.organisation: row for row in report.rows}
    assert list(by_name) == ["Northtown Mind", "Southside Advice", "Valley Gardens"]

    a = by_name["Northtown Mind"]
    assert (a.onward_referrals, a.people, a.male, a.female, a.other) == (4, 3, 1, 0, 2)
    assert (a.accepted, a.declined, a.unanswered, a.withdrawn_unanswered) == (1, 1, 1, 1)
    assert a.contacts == 2
    assert a.support == _support(debt_advice=1, welfare_benefits=1, housing=1)

    b = by_name["Southside Advice"]
    assert (b.onward_referrals, b.people, b.male, b.female, b.other) == (3, 3, 2, 1, 0)
    assert (b.accepted, b.declined, b.unanswered, b.withdrawn_unanswered) == (2, 0, 1, 0)
    assert b.contacts == 2
    assert b.support == _support(debt_advice=2, employment=1)


def test_an_organisation_with_no_activity_has_a_row_of_zeros(activity):
    [c] = [row for row in _report(activity["cast"]).rows if row.organisation == "Valley Gardens"]
    assert c.organisation_id == activity["c"].pk
    assert (c.onward_referrals, c.people, c.accepted, c.contacts) == (0, 0, 0, 0)
    assert c.support == _support()


def test_the_totals_count_a_person_referred_to_two_organisations_once(activity):
    totals = _report(activity["cast"]).totals
    assert totals.organisation == "Total" and totals.organisation_id is None
    assert (totals.onward_referrals, totals.people) == (7, 5)
    assert (totals.male, totals.female, totals.other) == (2, 1, 2)
    assert totals.male + totals.female + totals.other == totals.people
    assert (totals.accepted, totals.declined, totals.unanswered,
            totals.withdrawn_unanswered) == (3, 1, 2, 1)
    assert totals.contacts == 4
    assert totals.support == _support(debt_advice=3, welfare_benefits=1, housing=1,
                                      employment=1)


def test_period_boundaries_count_the_first_and_last_day_and_nothing_outside(activity):
    cast = activity["cast"]
    # One day later at both ends: START's referral and contact drop out, END+1's come in.
    later = _report(cast, start=START + dt.timedelta(days=1), end=END + dt.timedelta(days=1))
    a = next(row for row in later.rows if row.organisation == "Northtown Mind")
    # Out: a1 (sent START). In: f1's onward referral sent END+1.
    assert a.onward_referrals == 4
    assert (a.male, a.female, a.other) == (1, 1, 2)
    # Out: the housing contact on START. In: a1's welfare contact on END+1.
    assert a.contacts == 2
    assert a.support == _support(debt_advice=1, welfare_benefits=2)


def test_a_declined_onward_referral_counts_as_declined_not_accepted(activity):
    cast = activity["cast"]
    a = next(row for row in _report(cast, start=day(3), end=day(3)).rows
             if row.organisation == "Northtown Mind")
    assert (a.onward_referrals, a.accepted, a.declined) == (1, 0, 1)


def test_the_report_can_be_limited_to_some_organisations(activity):
    report = _report(activity["cast"], organisation_ids={activity["b"].pk})
    assert [row.organisation for row in report.rows] == ["Southside Advice"]
    assert (report.totals.onward_referrals, report.totals.people) == (3, 3)


def test_the_report_takes_four_queries_whatever_the_number_of_organisations(
    activity, django_assert_num_queries
):
    cast = activity["cast"]
    with tenant_context(cast.tenant.pk), django_assert_num_queries(4):
        reports.activity_report(**reports.tenant_sources(cast.tenant.pk), start=START, end=END)


def test_support_reads_like_the_sheffield_table(activity):
    b = next(row for row in _report(activity["cast"]).rows
             if row.organisation == "Southside Advice")
    assert reports.support_summary(b) == "2 debt advice, 1 employment, training and education"
    c = next(row for row in _report(activity["cast"]).rows if row.organisation == "Valley Gardens")
    assert reports.support_summary(c) == "None"


# --------------------------------------------------------------------------- the page


def _period(start=START, end=END) -> dict[str, str]:
    return {"from": f"{start:%d/%m/%Y}", "to": f"{end:%d/%m/%Y}"}


def test_a_clinical_lead_sees_every_organisation_without_anyones_details(client, activity):
    cast = activity["cast"]
    client.force_login(cast.team_lead)
    response = client.get(reverse("vcse:activity"), _period())
    assert response.status_code == 200
    page = response.content.decode()
    for name in ["Northtown Mind", "Southside Advice", "Valley Gardens", "Total"]:
        assert name in page
    assert "2 debt advice, 1 employment, training and education" in page
    assert "3 debt advice, 1 welfare and benefits advice, 1 housing support, " \
           "1 employment, training and education" in page
    assert "Download CSV" in page
    assert (reverse("vcse:activity-csv") + f"?from={START:%Y-%m-%d}&amp;to={END:%Y-%m-%d}"
            in page)
    for person in activity["people"]:
        # Whole words: a short given name ("Jo") may turn up inside the random CSRF token.
        for name in (person.family_name, person.given_name, person.nhs_number):
            assert not re.search(rf"\b{re.escape(name)}\b", page), name


def test_iso_dates_give_the_same_period_as_uk_dates(client, activity):
    client.force_login(activity["cast"].programme_manager)
    uk = client.get(reverse("vcse:activity"), _period())
    iso = client.get(reverse("vcse:activity"), {"from": f"{START:%Y-%m-%d}",
                                                "to": f"{END:%Y-%m-%d}"})
    assert uk.status_code == iso.status_code == 200
    assert _tables(uk) == _tables(iso)
    assert 'value="' + f"{START:%d/%m/%Y}" + '"' in iso.content.decode()


def _tables(response) -> str:
    page = response.content.decode()
    return page[page.index('<h2 id="period">'):page.rindex("</table>")]


def test_with_no_period_it_covers_the_last_twelve_whole_months_to_today(client, tenant_a,
                                                                         tenant_b):
    client.force_login(tenant_a.programme_manager)
    response = client.get(reverse("vcse:activity"))
    assert response.status_code == 200
    page = response.content.decode()
    first = dt.date(TODAY.year - 1, TODAY.month, 1)
    assert f"{first.day} {first:%B %Y} to {TODAY.day} {TODAY:%B %Y}" in page
    # The cast's onward referral sent today is counted; the other place's never.
    assert "1 welfare and benefits advice" in page
    assert tenant_b.vcse.name not in page


def test_a_vcse_lead_sees_only_their_own_organisation(client, activity):
    client.force_login(activity["cast"].vcse_lead)
    response = client.get(reverse("vcse:activity"), _period())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Northtown Mind" in page
    assert "Southside Advice" not in page and "Valley Gardens" not in page
    csv_rows = _csv(client.get(reverse("vcse:activity-csv"), _period()))
    assert [row[0] for row in csv_rows[1:]] == ["Northtown Mind", "Total"]


@pytest.mark.parametrize("label", ["clinician", "connector", "peer_support", "vcse_worker", "gp"])
def test_staff_without_a_lead_or_programme_role_are_refused(client, tenant_a, label):
    client.force_login(tenant_a.users[label])
    assert client.get(reverse("vcse:activity")).status_code == 403
    assert client.get(reverse("vcse:activity-csv")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, tenant_a):
    response = client.get(reverse("vcse:activity-csv"))
    assert response.status_code == 302
    assert reverse("pcns:sign-in") in response["Location"]


@pytest.mark.parametrize(("query", "message"), [
    ({"from": "31/02/2026"}, "Enter the start of the period as a real date"),
    ({"to": "next week"}, "Enter the end of the period as a real date"),
    ({"from": "01/06/2025", "to": "31/05/2025"}, "must be the same as or after its start"),
])
def test_a_bad_period_is_shown_inline_with_400(client, tenant_a, query, message):
    client.force_login(tenant_a.programme_manager)
    for name in ["vcse:activity", "vcse:activity-csv"]:
        response = client.get(reverse(name), query)
        assert response.status_code == 400
        page = response.content.decode()
        assert "There is a problem" in page and message in page
        assert "Download CSV" not in page


# --------------------------------------------------------------------------- the CSV


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_has_a_row_per_organisation_a_column_per_support_type_and_totals(client,
                                                                                 activity):
    cast = activity["cast"]
    client.force_login(cast.programme_manager)
    response = client.get(reverse("vcse:activity-csv"), _period())
    assert response["Content-Disposition"] == (
        f'attachment; filename="vcse-activity-{START:%Y-%m-%d}-{END:%Y-%m-%d}.csv"')
    rows = _csv(response)
    header = rows[0]
    assert header[:12] == ["Provider", "Onward referrals", "People", "Male", "Female",
                           "Other or not stated", "Accepted", "Declined", "No answer yet",
                           "Withdrawn before an answer", "Contacts attended",
                           "Debt advice"]
    assert header[11:] == [label for _code, label in SupportCategory.choices]
    table = {row[0]: dict(zip(header[1:], map(int, row[1:]), strict=True)) for row in rows[1:]}
    assert list(table) == ["Northtown Mind", "Southside Advice", "Valley Gardens", "Total"]
    b = table["Southside Advice"]
    assert (b["Onward referrals"], b["People"], b["Male"], b["Female"]) == (3, 3, 2, 1)
    assert (b["Debt advice"], b["Employment, training and education"]) == (2, 1)
    assert b["Welfare and benefits advice"] == 0
    total = table["Total"]
    assert (total["Onward referrals"], total["People"], total["Accepted"]) == (7, 5, 3)
    assert total["Debt advice"] == 3
    assert set(table["Valley Gardens"].values()) == {0}


def test_downloading_the_csv_writes_an_export_audit_row_naming_no_one(client, activity):
    cast = activity["cast"]
    client.force_login(cast.programme_manager)
    with tenant_context(cast.tenant.pk):
        before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    client.get(reverse("vcse:activity-csv"), _period())
    with tenant_context(cast.tenant.pk):
        exports = AuditEvent.objects.filter(action=AuditAction.EXPORT)
        assert exports.count() == before + 1
        event = exports.latest("at")
    assert event.actor == cast.programme_manager
    assert event.target_type == "vcse.activityreport"
    assert f"{START:%d/%m/%Y}" in event.note and f"{END:%d/%m/%Y}" in event.note
    for person in activity["people"]:
        assert person.family_name not in event.note


def test_the_page_itself_writes_no_export_audit_row(client, activity):
    cast = activity["cast"]
    client.force_login(cast.programme_manager)
    client.get(reverse("vcse:activity"), _period())
    with tenant_context(cast.tenant.pk):
        assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_organisation_name_cannot_run_as_a_spreadsheet_formula(client, tenant_a):
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        Organisation.objects.create(tenant=cast.tenant, kind="vcse", name="=HYPERLINK(1)")
    client.force_login(cast.programme_manager)
    rows = _csv(client.get(reverse("vcse:activity-csv")))
    assert "'=HYPERLINK(1)" in [row[0] for row in rows]
