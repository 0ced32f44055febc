"""The patient banner, as the NHS CUI guidance draws it, on every page about a person."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from caseload import services as care_services
from caseload.models import CarePlan, Contact, Intervention, RiskConcern
from pcns.tenancy import tenant_context
from referrals.banner import age_text, cui_date, cui_name
from referrals.models import Person, Referral
from tests.factories import make_referral
from vcse.models import OnwardReferral

pytestmark = pytest.mark.django_db

BANNER = re.compile(r'<section class="app-patient-banner".*?</section>', re.DOTALL)


def _banner(response) -> str:
    found = BANNER.findall(response.content.decode())
    assert len(found) == 1, f"{len(found)} banners"
    return found[0]


def _world(cast) -> dict:
    """The cast's referral in care (contacts, a plan, an intervention, a risk concern, an
    onward referral) and a referral of the same person's awaiting triage in the other team."""
    with tenant_context(cast.tenant.pk):
        care = Referral.objects.select_related("person").get(
            tenant=cast.tenant, status__in=["allocated", "active"])
        world = {
            "care": care,
            "person": care.person,
            "contact": Contact.objects.filter(referral=care).first(),
            "plan": CarePlan.objects.get(referral=care),
            "intervention": Intervention.objects.filter(referral=care).first(),
            "concern": RiskConcern.objects.get(referral=care),
            "onward": OnwardReferral.objects.filter(referral=care).first(),
        }
    world["waiting"] = make_referral(cast, person=world["person"], team=cast.other_pcn_team,
                                     actor=cast.other_clinician)
    return world


def _pages(world) -> list[tuple[str, str, str]]:
    """(who, page name, address) of every page about a person."""
    care, person = world["care"].pk, world["person"].pk
    lead = "team_lead"
    return [
        (lead, "referrals:person-detail", reverse("referrals:person-detail", args=[person])),
        (lead, "referrals:detail", reverse("referrals:detail", args=[care])),
        (lead, "referrals:timeline", reverse("referrals:timeline", args=[care])),
        (lead, "referrals:allocate", reverse("referrals:allocate", args=[care])),
        (lead, "referrals:identity-check", reverse("referrals:identity-check", args=[care])),
        ("other_clinician", "referrals:triage",
         reverse("referrals:triage", args=[world["waiting"].pk])),
        (lead, "caseload:record", reverse("caseload:record", args=[care])),
        (lead, "caseload:contact-new", reverse("caseload:contact-new", args=[care])),
        (lead, "caseload:contact-outcome",
         reverse("caseload:contact-outcome", args=[world["contact"].pk])),
        (lead, "caseload:assessment-new", reverse("caseload:assessment-new", args=[care])),
        (lead, "caseload:intervention-new", reverse("caseload:intervention-new", args=[care])),
        (lead, "caseload:intervention-end",
         reverse("caseload:intervention-end", args=[world["intervention"].pk])),
        (lead, "caseload:outcomes", reverse("caseload:outcomes", args=[care])),
        (lead, "caseload:outcome-new", reverse("caseload:outcome-new", args=[care])),
        (lead, "caseload:care-plan-edit", reverse("caseload:care-plan-edit", args=[care])),
        (lead, "caseload:care-plan-version",
         reverse("caseload:care-plan-version", args=[world["plan"].pk, 1])),
        (lead, "caseload:discharge", reverse("caseload:discharge", args=[care])),
        (lead, "caseload:risk-concern-new", reverse("caseload:risk-concern-new", args=[care])),
        (lead, "caseload:risk-concern-acknowledge",
         reverse("caseload:risk-concern-acknowledge", args=[world["concern"].pk])),
        (lead, "vcse:onward-new", reverse("vcse:onward-new", args=[care])),
        (lead, "vcse:onward-detail", reverse("vcse:onward-detail", args=[world["onward"].pk])),
        (lead, "vcse:consent-withdraw",
         reverse("vcse:consent-withdraw", args=[world["onward"].pk])),
        ("tenant_admin", "referrals:person-subject-access",
         reverse("referrals:person-subject-access", args=[person])),
        ("tenant_admin", "referrals:person-merge",
         reverse("referrals:person-merge", args=[person])),
    ]


def test_every_page_about_a_person_carries_their_banner(client, tenant_a):
    world = _world(tenant_a)
    person: Person = world["person"]
    today = timezone.localdate()
    n = person.nhs_number
    age = today.year - person.date_of_birth.year - (
        (today.month, today.day) < (person.date_of_birth.month, person.date_of_birth.day))
    for who, name, url in _pages(world):
        client.force_login(tenant_a.users[who])
        response = client.get(url)
        assert response.status_code == 200, f"{who}: {name} answered {response.status_code}"
        banner = _banner(response)
        assert 'aria-label="Patient banner: ' in banner, name
        assert f"{person.family_name.upper()}, {person.given_name}" in banner, name
        assert f"{n[:3]} {n[3:6]} {n[6:]}" in banner, name
        assert "12-Apr-1985" in banner and f"({age}y)" in banner, name
        assert person.get_gender_display() in banner, name
        assert "open alert" in banner, name


def test_pages_about_no_one_and_the_vcse_inbox_carry_no_banner(client, tenant_a):
    world = _world(tenant_a)
    client.force_login(tenant_a.team_lead)
    for url in [reverse("referrals:triage-queue"), reverse("caseload:mine"),
                reverse("referrals:search")]:
        assert "app-patient-banner" not in client.get(url).content.decode(), url
    client.force_login(tenant_a.vcse_worker)
    response = client.get(reverse("vcse:inbox-detail", args=[world["onward"].pk]))
    assert response.status_code == 200
    assert "app-patient-banner" not in response.content.decode()


def test_the_banner_counts_open_alerts_links_to_them_and_clears_on_acknowledgement(client,
                                                                                   tenant_a):
    world = _world(tenant_a)
    care = world["care"]
    url = reverse("referrals:detail", args=[care.pk])
    client.force_login(tenant_a.team_lead)
    banner = _banner(client.get(url))
    assert (f'<a href="{reverse("caseload:record", args=[care.pk])}#concerns">1 open alert</a>'
            in banner)
    with tenant_context(tenant_a.tenant.pk):
        care_services.risk_concern_raise(referral=care, actor=tenant_a.clinician,
                                         concern="Said they had stopped eating")
    assert "2 open alerts" in _banner(client.get(url))
    with tenant_context(tenant_a.tenant.pk):
        for concern in RiskConcern.objects.filter(referral=care):
            care_services.risk_concern_acknowledge(concern=concern, actor=tenant_a.team_lead,
                                                   version=concern.version,
                                                   response="Called them; safety plan reviewed")
    banner = _banner(client.get(url))
    assert "None open" in banner and "app-patient-banner__item--alert" not in banner


def test_an_alert_on_a_referral_the_user_cannot_open_is_counted_and_says_who_holds_it(
        client, tenant_a):
    world = _world(tenant_a)
    client.force_login(tenant_a.other_clinician)
    banner = _banner(client.get(reverse("referrals:triage", args=[world["waiting"].pk])))
    assert f"1 open alert (held by {tenant_a.pcn_team.name})" in banner
    assert reverse("caseload:record", args=[world["care"].pk]) not in banner


def test_the_banner_costs_one_query_however_many_alerts(client, tenant_a,
                                                        django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world = _world(tenant_a)
    care = world["care"]
    url = reverse("referrals:timeline", args=[care.pk])
    client.force_login(tenant_a.team_lead)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    with tenant_context(tenant_a.tenant.pk):
        for n in range(3):
            care_services.risk_concern_raise(referral=care, actor=tenant_a.clinician,
                                             concern=f"Concern {n}")
    with django_assert_num_queries(len(one)):
        assert "4 open alerts" in _banner(client.get(url))
    banner_queries = [q for q in one if "caseload_riskconcern" in q["sql"]]
    assert len(banner_queries) == 1


def test_names_dates_and_ages_are_written_as_cui_writes_them():
    person = Person(given_name="Alex", family_name="McDonald-Smith",
                    date_of_birth=dt.date(1980, 12, 3))
    assert cui_name(person) == "MCDONALD-SMITH, Alex"
    assert cui_date(dt.date(1980, 12, 3)) == "03-Dec-1980"
    assert cui_date(dt.date(2001, 5, 9)) == "09-May-2001"
    today = dt.date(2026, 12, 3)
    assert age_text(dt.date(1980, 12, 3), today) == "46y"
    assert age_text(dt.date(1980, 12, 4), today) == "45y"
    assert age_text(dt.date(2025, 6, 1), today) == "18m"
    assert age_text(dt.date(2026, 11, 1), today) == "1m"
    assert age_text(dt.date(2026, 11, 20), today) == "1w"
