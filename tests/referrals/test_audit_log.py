"""Who has looked at a person's record, and the audit log page for tenant administrators."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent
from pcns.services import audit_views
from pcns.tenancy import tenant_context
from referrals.models import Referral
from tests.factories import make_referral

pytestmark = pytest.mark.django_db


def _in_care(cast) -> Referral:
    with tenant_context(cast.tenant.pk):
        return Referral.objects.select_related("person").get(
            tenant=cast.tenant, status__in=["allocated", "active"])


def _events(cast, **filters):
    with tenant_context(cast.tenant.pk):
        return list(AuditEvent.objects.filter(**filters))


# --------------------------------------------------------------------------- who has looked


def test_a_lead_of_the_persons_team_sees_who_looked_at_their_care_record_by_name(
        client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("caseload:record", args=[referral.pk])).status_code == 200
    client.force_login(tenant_a.team_lead)
    html = client.get(reverse("referrals:person-detail", args=[referral.person_id])).content
    html = html.decode()
    assert "Who has looked at this record" in html
    assert "Clinician northtown" in html
    assert "Viewed referral: care record" in html
    assert str(referral.pk) not in html.split("Who has looked at this record")[1]


@pytest.mark.parametrize("label", ["clinician", "peer_support", "connector"])
def test_staff_who_do_not_lead_the_team_do_not_see_who_has_looked(client, tenant_a, label):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.users[label])
    html = client.get(reverse("referrals:person-detail", args=[referral.person_id])).content
    assert b"Who has looked at this record" not in html


def test_a_tenant_administrator_sees_who_has_looked_and_the_list_is_paginated(
        client, tenant_a):
    referral = _in_care(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        audit_views(actor=tenant_a.clinician, targets=[referral] * 30, note="care record")
        total = len(AuditEvent.objects.filter(target_id__in=[str(referral.pk),
                                                             str(referral.person_id)]))
    client.force_login(tenant_a.tenant_admin)
    url = reverse("referrals:person-detail", args=[referral.person_id])
    second = client.get(url, {"page": 2}).content.decode()  # before this visit adds a row
    assert "Who has looked at this record" in second
    assert second.count("Viewed referral: care record") == 10
    first = client.get(url).content.decode()
    assert "Page 2 of" in first
    assert total >= 30


def test_opening_who_has_looked_is_itself_audited(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.team_lead)
    client.get(reverse("referrals:person-detail", args=[referral.person_id]))
    rows = _events(tenant_a, actor=tenant_a.team_lead, action="view",
                   target_id=str(referral.person_id))
    assert [row.note for row in rows] == ["with who has looked at it"]


# --------------------------------------------------------------------------- the audit log


def test_only_tenant_administrators_open_the_audit_log(client, tenant_a):
    for label, user in tenant_a.users.items():
        client.force_login(user)
        expected = 200 if label == "tenant_admin" else 403
        assert client.get(reverse("referrals:audit-log")).status_code == expected, label
        assert client.get(reverse("referrals:audit-log-csv")).status_code == expected, label


def test_the_admin_home_page_links_to_the_audit_log(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    html = client.get(reverse("pcns:home-admin")).content.decode()
    assert reverse("referrals:audit-log") in html


def test_searching_by_nhs_number_shows_that_persons_records_by_name_and_no_one_elses(
        client, tenant_a):
    referral = _in_care(tenant_a)
    other = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    client.get(reverse("caseload:record", args=[referral.pk]))
    client.get(reverse("referrals:detail", args=[other.pk]))
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("referrals:audit-log"),
                           {"nhs_number": referral.person.nhs_number})
    assert response.status_code == 302
    assert referral.person.nhs_number not in response.url  # no NHS number in a URL
    html = client.get(response.url).content.decode()
    name = referral.person.full_name
    assert f"Viewed referral of {name}: care record" in html
    assert "Created contact of" in html  # the care record's writes are there too
    assert other.person.family_name not in html
    table = html.split("<tbody")[1]
    assert str(referral.pk) not in table


def test_an_unknown_nhs_number_is_an_inline_error(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("referrals:audit-log"), {"nhs_number": "9434765919"})
    assert response.status_code == 400
    assert b"No one with this NHS number is recorded here." in response.content


def test_searching_by_user_and_dates(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.team_lead)
    client.get(reverse("referrals:detail", args=[referral.pk]))
    client.force_login(tenant_a.tenant_admin)
    today = timezone.localdate().strftime("%d/%m/%Y")
    html = client.get(reverse("referrals:audit-log"),
                      {"user": "team_lead@", "from": today, "to": today}).content.decode()
    assert f"Viewed referral of {referral.person.full_name}" in html
    assert "Clinician northtown" not in html
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    html = client.get(reverse("referrals:audit-log"),
                      {"user": "team_lead@", "to": yesterday}).content.decode()
    assert "Nothing in the audit log matches this search." in html


def test_searching_the_audit_log_is_itself_audited(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    client.get(reverse("referrals:audit-log"), {"person": str(referral.person_id)})
    notes = [e.note for e in _events(tenant_a, actor=tenant_a.tenant_admin, action="view")]
    assert "audit log search by person" in notes
    assert _events(tenant_a, actor=tenant_a.tenant_admin, action="view",
                   target_id=str(referral.person_id))


def test_the_csv_has_a_byte_order_mark_names_and_no_live_formula_and_is_audited(
        client, tenant_a):
    referral = _in_care(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        AuditEvent.objects.create(tenant=tenant_a.tenant, actor=None,
                                  actor_label='=HYPERLINK("http://example.com")',
                                  action="view", target_type="referrals.referral",
                                  target_id=str(referral.pk), note="Zoë's import")
    client.force_login(tenant_a.tenant_admin)
    response = client.get(reverse("referrals:audit-log-csv"),
                          {"person": str(referral.person_id)})
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["When", "Who", "Email", "Action", "Kind", "What", "Details"]
    whos = [row[1] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://example.com\")" in whos
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any("Zoë's import" in row[5] for row in rows)
    assert any(row[5] == f"Viewed referral of {referral.person.full_name}: care record"
               or row[5].startswith(f"Created contact of {referral.person.full_name}")
               for row in rows[1:])
    exports = _events(tenant_a, actor=tenant_a.tenant_admin, action="export",
                      target_type="audit_log")
    assert [e.note for e in exports] == ["audit log CSV by person"]


def test_another_tenants_person_is_not_found_by_nhs_number_nor_their_staff_by_name(
        client, tenant_a, tenant_b):
    theirs = _in_care(tenant_b)
    client.force_login(tenant_b.clinician)
    client.get(reverse("caseload:record", args=[theirs.pk]))
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("referrals:audit-log"),
                           {"nhs_number": theirs.person.nhs_number})
    assert response.status_code == 400
    assert b"No one with this NHS number is recorded here." in response.content
    by_user = client.get(reverse("referrals:audit-log"), {"user": tenant_b.clinician.email})
    assert theirs.person.family_name not in by_user.content.decode()
    assert tenant_b.clinician.email not in by_user.content.decode().replace(
        f'value="{tenant_b.clinician.email}"', "")
