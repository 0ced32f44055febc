"""A withdrawn onward referral stays in the partner's Closed tab, marked withdrawn, with its
reference and dates only: no name, NHS number, date of birth or contact details, no link to the
details, and nothing audited as shown, since no one is."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent, Membership, Organisation, Team, TeamMembership
from pcns.tenancy import tenant_context
from tests.factories import make_onward_referral, make_person, make_referral, make_user
from vcse import services
from vcse.models import Consent, OnwardReferral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _uk(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _onward(cast, family_name: str, *, days_ago: int = 5) -> OnwardReferral:
    sent = TODAY - dt.timedelta(days=days_ago)
    person = make_person(cast, family_name=family_name, email="w@example.org",
                         address="9 Quarry Row", date_of_birth=dt.date(1979, 2, 14))
    referral = make_referral(cast, person=person, received_on=sent - dt.timedelta(days=1))
    return make_onward_referral(cast, referral=referral, sent_on=sent, consent_given_on=sent)


def _closed(client) -> str:
    response = client.get(reverse("vcse:inbox"), {"tab": "closed"})
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, text: str) -> str:
    row = page[page.index(text):]
    return row[:row.index("</tr>")]


def _personal(onward: OnwardReferral) -> list[str]:
    person = onward.person
    number = person.nhs_number
    dob = person.date_of_birth
    return [person.given_name + " " + person.family_name, person.family_name, number,
            f"{number[:3]} {number[3:6]} {number[6:]}", person.phone, person.email,
            person.address, person.postcode, _uk(dob), f"{dob:%d/%m/%Y}", dob.isoformat(),
            onward.service.name, "rent arrears"]


def test_a_withdrawn_onward_referral_stays_in_the_closed_tab_without_personal_details(
        client, tenant_a):
    onward = _onward(tenant_a, "Withers")
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_accept(onward=onward, actor=tenant_a.vcse_worker,
                                        version=onward.version)
        onward = OnwardReferral.objects.select_related("person", "service").get(pk=onward.pk)
        services.consent_withdraw(onward=onward, actor=tenant_a.connector,
                                  version=onward.version, on=TODAY)
        personal = _personal(onward)
    client.force_login(tenant_a.vcse_worker)
    page = _closed(client)
    assert "Closed (1)" in page
    row = _row(page, onward.reference)
    assert "Withdrawn by the referrer" in row and ">Withdrawn<" in row
    assert _uk(onward.sent_on) in row and _uk(TODAY) in row
    for secret in personal:
        assert secret not in page, secret
    assert reverse("vcse:inbox-detail", args=[onward.pk]) not in page
    assert not re.search(r"<a [^>]*>" + re.escape(onward.reference), page)
    with tenant_context(tenant_a.tenant.pk):
        assert not AuditEvent.objects.filter(action="view", target_id=str(onward.pk)).exists()


def test_one_withdrawn_while_new_and_one_whose_consent_ended_show_as_withdrawn(client,
                                                                               tenant_a):
    new = _onward(tenant_a, "Newly")
    lapsed = _onward(tenant_a, "Lapsley", days_ago=40)
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=new, actor=tenant_a.clinician, version=new.version)
        Consent.objects.filter(onward_referral=lapsed).update(
            expires_on=TODAY - dt.timedelta(days=2))
        assert services.consent_lapse(onward_id=lapsed.pk, on=TODAY)
    client.force_login(tenant_a.vcse_lead)
    page = _closed(client)
    assert "Withdrawn by the referrer" in _row(page, new.reference)
    assert "Withdrawn: consent ended" in _row(page, lapsed.reference)
    assert "Newly" not in page and "Lapsley" not in page
    assert "Closed (2)" in page


def test_a_closed_one_whose_consent_is_withdrawn_later_keeps_its_row_but_loses_its_details(
        client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.select_related("person", "service").get(
            tenant=tenant_a.tenant, status="in_progress")
        onward = services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                                version=onward.version, outcome="completed")
        client.force_login(tenant_a.vcse_worker)
        family_name = onward.shared["family_name"]
    assert family_name in _closed(client)
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.clinician,
                                  version=onward.version)
    page = _closed(client)
    assert family_name not in page
    row = _row(page, onward.reference)
    # What the partner did stays what happened: closed, not withdrawn.
    assert "Consent withdrawn since: details no longer shown" in row
    assert "Withdrawn" not in row.replace("withdrawn since", "")


def test_another_partner_and_another_place_never_see_the_withdrawn_row(client, tenant_a,
                                                                        tenant_b):
    onward = _onward(tenant_a, "Privett")
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.clinician,
                                  version=onward.version)
        organisation = Organisation.objects.create(tenant=tenant_a.tenant, kind="vcse",
                                                   name="Eastfield Carers Centre")
        team = Team.objects.create(tenant=tenant_a.tenant, name="Eastfield carers service",
                                   kind="vcse_service", host=organisation)
        other = make_user("carers@northtown.test")
        membership = Membership.objects.create(tenant=tenant_a.tenant, user=other,
                                               role="vcse_worker", employer=organisation)
        TeamMembership.objects.create(tenant=tenant_a.tenant, membership=membership, team=team)
    for user in [other, tenant_b.vcse_worker, tenant_b.vcse_lead]:
        client.force_login(user)
        page = _closed(client)
        assert onward.reference not in page and "Withdrawn by the referrer" not in page


def _closed_queries(client) -> int:
    client.get(reverse("vcse:inbox"), {"tab": "closed"})  # warm the session and membership
    with CaptureQueriesContext(connection) as queries:
        _closed(client)
    return len(queries)


def test_the_closed_tab_takes_the_same_number_of_queries_for_1_or_6_withdrawn_rows(client,
                                                                                   tenant_a):
    def withdrawn() -> None:
        onward = _onward(tenant_a, "Quill")
        with tenant_context(tenant_a.tenant.pk):
            services.consent_withdraw(onward=onward, actor=tenant_a.clinician,
                                      version=onward.version)

    withdrawn()
    client.force_login(tenant_a.vcse_worker)
    few = _closed_queries(client)
    for _ in range(5):
        withdrawn()
    assert _closed_queries(client) == few
