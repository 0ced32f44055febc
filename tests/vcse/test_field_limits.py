"""VCSE staff reach their organisation's onward referrals and the minimal data set only.

Every clinical page and endpoint (the referrals and caseload apps, the referring side of onward
referrals) answers 403 or 404 to VCSE staff for the very person they hold an onward referral
for; lists they can reach carry nothing of that person; and other organisations' onward
referrals, or their own once consent is withdrawn, answer 404 on every inbox page and endpoint.
"""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from caseload.models import (
    Assessment,
    CarePlan,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from config.templating import uk_date
from pcns.models import Membership, Organisation, Team, TeamMembership
from pcns.services import membership_sync_staff_flag
from pcns.tenancy import tenant_context
from referrals.validators import format_nhs_number
from tests.factories import Cast, make_onward_referral, make_service, make_user
from tests.isolation.urls import object_patterns, walk
from vcse import services
from vcse.models import OnwardReferral

pytestmark = pytest.mark.django_db

#: URL names that show or change clinical records (pages and API).
CLINICAL_PREFIXES = (
    "referrals:", "caseload:", "vcse:onward-", "vcse:consent-",
    "api:person-", "api:referral-", "api:contact-", "api:assessment-", "api:care-plan-",
    "api:intervention-", "api:outcome-measure-", "api:risk-concern-", "api:caseload",
    "api:team-caseload", "api:triage-queue", "api:practice-referrals", "api:onward-referral-",
)
#: The partner's own pages and endpoints, all of which take the onward referral's id.
INBOX_PREFIXES = ("vcse:inbox-", "api:inbox-")


def _onward(cast: Cast) -> OnwardReferral:
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("referral", "person").get(
            organisation=cast.vcse)


def _ids_for(cast: Cast, onward: OnwardReferral) -> dict[str, object]:
    """For each kind of id a URL takes, the object belonging to the person the VCSE holds."""
    referral = onward.referral
    with tenant_context(cast.tenant.pk):
        first = {model: model.objects.filter(referral=referral).values_list("pk", flat=True)
                 .first() for model in (Contact, Assessment, CarePlan, Intervention,
                                         OutcomeMeasure, RiskConcern)}
    return {
        "referral": referral.pk, "person": onward.person_id, "onward": onward.pk,
        "contact": first[Contact], "assessment": first[Assessment],
        "care-plan": first[CarePlan], "plan": first[CarePlan],
        "intervention": first[Intervention], "outcome-measure": first[OutcomeMeasure],
        "concern": first[RiskConcern], "risk-concern": first[RiskConcern],
        "team": cast.pcn_team.pk,
        "merge": None, "person-merge": None,
    }


def _id_for(name: str, param: str, ids: dict) -> object:
    if param != "pk":
        return ids.get(param.removesuffix("_id"))
    for key in ("onward-referral", "referral", "person", "contact", "assessment", "care-plan",
                "intervention", "outcome-measure", "risk-concern", "team"):
        if name.startswith(f"api:{key}") or (key == "team" and name == "api:team-caseload"):
            return ids["onward"] if key == "onward-referral" else ids[key]
    return None


def _clinical_urls(cast: Cast, onward: OnwardReferral) -> tuple[list, list]:
    ids = _ids_for(cast, onward)
    with_ids, lists = [], []
    params_of = dict(object_patterns())
    for name, _pattern in walk(get_resolver().url_patterns):
        if not name.startswith(CLINICAL_PREFIXES):
            continue
        params = [p for p in params_of.get(name, []) if p != "number"]
        if not params:
            lists.append((name, reverse(name)))
            continue
        value = _id_for(name, params[0], ids)
        if value is None:
            continue  # e.g. a person merge: the VCSE's person has none
        kwargs = {params[0]: value}
        if "number" in params_of[name]:
            kwargs["number"] = 1
        with_ids.append((name, reverse(name, kwargs=kwargs)))
    return with_ids, lists


def _inbox_urls(onward: OnwardReferral) -> list[tuple[str, str]]:
    urls = []
    params_of = dict(object_patterns())
    for name, params in params_of.items():
        if name.startswith(INBOX_PREFIXES):
            urls.append((name, reverse(name, kwargs={params[0]: onward.pk})))
    return urls


def _identifiers(person) -> list[str]:
    """The person's NHS number and date of birth in every form a page or the API prints them."""
    born = person.date_of_birth
    return [person.nhs_number, format_nhs_number(person.nhs_number), uk_date(born),
            f"{born:%d/%m/%Y}", born.isoformat()]


def _traces(onward: OnwardReferral) -> list[str]:
    person = onward.person
    return [str(onward.referral_id), str(person.pk), person.family_name,
            "Low mood since losing work", "Get back into a routine", *_identifiers(person)]


@pytest.mark.parametrize("label", ["vcse_worker", "vcse_lead"])
def test_vcse_staff_cannot_open_any_clinical_page_or_endpoint_of_the_person_they_hold(
    client, tenant_a, label
):
    onward = _onward(tenant_a)
    with_ids, lists = _clinical_urls(tenant_a, onward)
    assert len(with_ids) >= 30, "the walk should reach every clinical URL that takes an id"
    client.force_login(tenant_a.users[label])
    # The partner does hold this person's onward referral: the refusals below are field limits.
    assert client.get(reverse("vcse:inbox-detail", args=[onward.pk])).status_code == 200
    for name, url in with_ids:
        assert client.get(url).status_code in {403, 404}, f"{label}: GET {name}"
        # A POST to a read-only endpoint may answer 405 before looking anything up.
        status = client.post(url).status_code
        assert status in {403, 404, 405}, f"{label} got {status} for POST {name}"
    traces = _traces(onward)
    for name, url in lists:
        response = client.get(url)
        if response.status_code in {403, 404}:
            continue
        assert response.status_code == 200, name
        body = response.content.decode()
        leaked = [t for t in traces if t and t in body]
        assert not leaked, f"{label} saw {leaked} on {name}"


def test_the_inbox_detail_shows_the_minimal_data_set_and_nothing_clinical(client, tenant_a):
    onward = _onward(tenant_a)
    person = onward.person
    client.force_login(tenant_a.vcse_worker)
    page = client.get(reverse("vcse:inbox-detail", args=[onward.pk])).content.decode()
    api = client.get(reverse("api:inbox-detail", args=[onward.pk])).content.decode()
    for body in (page, api):
        assert person.family_name in body and person.phone in body
        for secret in (*_identifiers(person), "Low mood since losing work",
                       "Get back into a routine", "No current risk to self or others",
                       str(onward.referral_id)):
            assert secret not in body


def _second_vcse(cast: Cast) -> Membership:
    with tenant_context(cast.tenant.pk):
        other = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                            name="Hillside Community Garden")
        team = Team.objects.create(tenant=cast.tenant, name="Hillside garden team",
                                   kind="vcse_service", host=other)
        user = make_user(f"garden@{cast.tenant.slug}.test", first_name="Garden")
        membership = Membership.objects.create(tenant=cast.tenant, user=user, role="vcse_lead",
                                               employer=other)
        TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
        membership_sync_staff_flag(membership=membership)
    return membership


def test_vcse_staff_of_another_organisation_get_404_on_every_inbox_page_and_endpoint(
    client, tenant_a
):
    onward = _onward(tenant_a)
    outsider = _second_vcse(tenant_a)
    urls = _inbox_urls(onward)
    assert len(urls) >= 8
    client.force_login(outsider.user)
    for name, url in urls:
        assert client.get(url).status_code == 404, f"GET {name}"
        assert client.post(url).status_code in {404, 405}, f"POST {name}"
    assert str(onward.pk) not in client.get(reverse("vcse:inbox")).content.decode()
    assert str(onward.pk) not in client.get(reverse("api:inbox-list")).content.decode()


def test_once_consent_is_withdrawn_the_partner_gets_404_everywhere(client, tenant_a):
    onward = _onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.connector,
                                  version=onward.version, note="Changed their mind")
    for label in ("vcse_worker", "vcse_lead"):
        client.force_login(tenant_a.users[label])
        for name, url in _inbox_urls(onward):
            assert client.get(url).status_code == 404, f"{label} GET {name}"
            assert client.post(url).status_code in {404, 405}, f"{label} POST {name}"
        with_ids, _lists = _clinical_urls(tenant_a, onward)
        for name, url in with_ids:
            assert client.get(url).status_code in {403, 404}, name
        assert onward.person.family_name not in client.get(reverse("vcse:inbox")).content.decode()
    # The referring side still sees it, withdrawn.
    client.force_login(tenant_a.connector)
    detail = client.get(reverse("vcse:onward-detail", args=[onward.pk]))
    assert detail.status_code == 200 and "Withdrawn" in detail.content.decode()


def test_an_onward_referral_to_a_service_of_another_organisation_is_not_in_our_inbox(
    client, tenant_a
):
    outsider = _second_vcse(tenant_a)
    garden = make_service(tenant_a, organisation=outsider.employer, name="Growing together",
                          categories=["community_garden"])
    theirs = make_onward_referral(tenant_a, service=garden, needs=["community_garden"])
    client.force_login(tenant_a.vcse_worker)
    for name, url in _inbox_urls(theirs):
        assert client.get(url).status_code == 404, name
    client.force_login(outsider.user)
    assert client.get(reverse("vcse:inbox-detail", args=[theirs.pk])).status_code == 200
