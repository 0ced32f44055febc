"""Triage with the facts: the reason, the presenting needs, the risk recorded at intake and the
person's other referrals, on the queue row and on the triage page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.tenancy import tenant_context
from referrals import services
from tests.factories import make_person, make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _row(body: str, href: str) -> str:
    """The queue's table row holding a link to ``href``."""
    for row in re.findall(r'<tr class="nhsuk-table__row">.*?</tr>', body, re.DOTALL):
        if f'href="{href}"' in row:
            return row
    raise AssertionError(f"no row for {href}")


def test_the_queue_row_shows_the_reason_needs_risk_and_other_referrals(client, tenant_a):
    person = make_person(tenant_a, given_name="Robin", family_name="Hartley")
    earlier = make_referral(tenant_a, person=person, team=tenant_a.other_pcn_team,
                            actor=tenant_a.other_clinician,
                            received_on=TODAY - dt.timedelta(days=40))
    waiting = make_referral(tenant_a, person=person, urgency="emergency",
                            presenting_needs=["low_mood", "suicidal_thoughts"],
                            reason="Told the GP they plan to end their life tonight. " * 5)
    quiet = make_referral(tenant_a, presenting_needs=["housing"], reason="")
    client.force_login(tenant_a.clinician)
    body = client.get(reverse("referrals:triage-queue")).content.decode()
    row = _row(body, reverse("referrals:detail", args=[waiting.pk]))
    assert "Told the GP they plan to end their life tonight." in row
    assert "…" in row  # a long reason is cut on the row; the triage page has all of it
    assert re.search(r"Needs: (Low mood or depression, Suicidal thoughts|Suicidal thoughts, "
                     r"Low mood or depression)<", row)
    assert "Emergency referral" in row and 'nhsuk-tag--red">Suicidal thoughts' in row
    assert "1 other referral" in row
    assert reverse("referrals:person-detail", args=[person.pk]) in row
    row = _row(body, reverse("referrals:detail", args=[quiet.pk]))
    assert "Not recorded" in row and "Needs: Housing" in row
    assert "other referral" not in row and "Emergency" not in row
    assert earlier.pk


def test_the_triage_page_shows_the_whole_reason_the_risk_and_each_other_referral(client,
                                                                                 tenant_a):
    person = make_person(tenant_a, given_name="Robin", family_name="Hartley")
    elsewhere = make_referral(tenant_a, person=person, team=tenant_a.other_pcn_team,
                              actor=tenant_a.other_clinician,
                              received_on=TODAY - dt.timedelta(days=40))
    earlier = make_referral(tenant_a, person=person, received_on=TODAY - dt.timedelta(days=300))
    with tenant_context(tenant_a.tenant.pk):
        services.referral_decide(referral=earlier, actor=tenant_a.team_lead,
                                 version=earlier.version, decision="reject",
                                 reason="not_eligible", note="")
    reason = "Self-harm last week; " + "more detail " * 40 + "the end."
    waiting = make_referral(tenant_a, person=person, urgency="urgent",
                            presenting_needs=["self_harm", "anxiety"], reason=reason)
    client.force_login(tenant_a.team_lead)
    response = client.get(reverse("referrals:triage", args=[waiting.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    facts = body[body.index('id="facts"'):body.index("No wrong door")]
    assert reason.strip() in facts
    assert re.search(r"Presenting needs</dt>\s*<dd[^>]*>(Anxiety, Self-harm|Self-harm, Anxiety)<",
                     facts)
    assert "Urgent referral" in facts and 'nhsuk-tag--red">Self-harm' in facts
    # Their own team's earlier referral is a link; another team's is named, not linked.
    assert (f'<a href="{reverse("referrals:detail", args=[earlier.pk])}">'
            f"{tenant_a.pcn_team.name}, received" in facts)
    assert "Rejected (rejected: does not meet the service&#39;s criteria)" in facts
    assert f"{tenant_a.other_pcn_team.name}, received" in facts
    assert reverse("referrals:detail", args=[elsewhere.pk]) not in facts


def test_a_referral_with_no_risk_and_no_history_says_so(client, tenant_a):
    waiting = make_referral(tenant_a, presenting_needs=["housing"])
    client.force_login(tenant_a.team_lead)
    body = client.get(reverse("referrals:triage", args=[waiting.pk])).content.decode()
    facts = body[body.index('id="facts"'):body.index("No wrong door")]
    assert "Risk at intake" in facts and "None recorded" in facts
    assert re.search(r"Other referrals</dt>\s*<dd[^>]*>\s*None", facts)


def _queue_queries(client) -> int:
    client.get(reverse("referrals:triage-queue"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("referrals:triage-queue")).status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_however_many_other_referrals_people_have(client,
                                                                                   tenant_a):
    client.force_login(tenant_a.clinician)
    people = [make_person(tenant_a) for _ in range(3)]
    for person in people:
        make_referral(tenant_a, person=person, presenting_needs=["self_harm"])
    few = _queue_queries(client)
    for person in people:
        make_referral(tenant_a, person=person, team=tenant_a.other_pcn_team,
                      actor=tenant_a.other_clinician, received_on=TODAY - dt.timedelta(days=100))
    many = _queue_queries(client)
    assert few == many
    body = client.get(reverse("referrals:triage-queue")).content.decode()
    assert body.count("1 other referral") == 3
