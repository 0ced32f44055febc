"""The service directory pages: search by need, area, open to referrals and words; a service's
details; listing and changing services (tenant administrators, and a VCSE lead for their own
organisation only)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcns.models import Membership, Organisation
from pcns.tenancy import tenant_context
from tests.factories import Cast, make_service, make_user
from vcse.models import Service

pytestmark = pytest.mark.django_db


def _services(cast: Cast) -> list[Service]:
    with tenant_context(cast.tenant.pk):
        return list(Service.objects.filter(tenant=cast.tenant).order_by("name"))


def _found(client, **query) -> str:
    response = client.get(reverse("vcse:services"), query)
    assert response.status_code == 200
    return response.content.decode()


def _other_vcse_lead(cast: Cast):
    """A second VCSE organisation of the place, and its lead."""
    with tenant_context(cast.tenant.pk):
        other = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                            name="Riverside Carers")
        user = make_user(f"riverside-lead@{cast.tenant.slug}.test", first_name="River")
        Membership.objects.create(tenant=cast.tenant, user=user, role="vcse_lead",
                                  employer=other)
    return other, user


def _service_post(**overrides) -> dict:
    data = {"name": "Walk and talk group", "description": "A weekly walk in the park.",
            "categories": ["walk_and_talk", "social_groups"], "eligibility": "Anyone",
            "area_note": "", "is_open": "yes", "capacity_note": "Room for 6 more",
            "is_published": "yes", "email": "walks@example.org", "phone": "", "website": "",
            "address": ""}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("label", ["clinician", "connector", "gp", "programme_manager",
                                   "vcse_worker", "vcse_lead", "tenant_admin"])
def test_every_member_of_the_place_can_search_the_directory(client, tenant_a, label):
    client.force_login(getattr(tenant_a, label))
    page = _found(client)
    assert "Money and benefits advice" in page and "Northtown Mind" in page
    assert "Open to referrals" in page and "Northtown Central PCN" in page


def test_another_tenants_staff_see_none_of_its_services(client, tenant_a, tenant_b):
    make_service(tenant_a, name="Northtown allotment club", categories=["community_garden"])
    service = next(s for s in _services(tenant_a) if s.name == "Northtown allotment club")
    client.force_login(tenant_b.clinician)
    assert "Northtown allotment club" not in _found(client)
    assert client.get(reverse("vcse:service-detail", args=[service.pk])).status_code == 404
    client.force_login(tenant_b.tenant_admin)
    assert client.get(reverse("vcse:service-edit", args=[service.pk])).status_code == 404


def test_searching_by_need_finds_only_services_offering_it(client, tenant_a):
    make_service(tenant_a, name="Growing together", categories=["community_garden"])
    client.force_login(tenant_a.clinician)
    page = _found(client, need="community_garden")
    assert "Growing together" in page and "Money and benefits advice" not in page
    page = _found(client, need="debt_advice")
    assert "Money and benefits advice" in page and "Growing together" not in page


def test_searching_by_area_keeps_whole_place_services_and_drops_other_pcns(client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        north = Organisation.objects.get(tenant=tenant_a.tenant, name="Northtown North PCN")
    make_service(tenant_a, name="North walking group", areas=[north])
    make_service(tenant_a, name="Citywide carers line", categories=["caring"])
    client.force_login(tenant_a.clinician)
    page = _found(client, area=str(tenant_a.pcn.pk))
    # Money and benefits advice covers the central PCN; the carers line the whole place.
    assert "Money and benefits advice" in page and "Citywide carers line" in page
    assert "North walking group" not in page
    page = _found(client, area=str(north.pk))
    assert "North walking group" in page and "Citywide carers line" in page
    assert "Money and benefits advice" not in page


def test_open_only_hides_services_closed_to_referrals(client, tenant_a):
    make_service(tenant_a, name="Full for now", is_open=False)
    client.force_login(tenant_a.clinician)
    page = _found(client)
    assert "Full for now" in page and "Closed to referrals" in page
    page = _found(client, open_only="on")
    assert "Full for now" not in page and "Money and benefits advice" in page


def test_searching_by_words_matches_the_name_description_or_organisation(client, tenant_a):
    make_service(tenant_a, name="Growing together", categories=["community_garden"],
                 description="Vegetable beds behind the library.")
    client.force_login(tenant_a.clinician)
    page = _found(client, q="vegetable")
    assert "Growing together" in page and "Money and benefits advice" not in page
    page = _found(client, q="nobody offers this")
    assert "No services match this search" in page


def test_an_unknown_area_in_the_query_finds_nothing_rather_than_everything(client, tenant_a,
                                                                        tenant_b):
    client.force_login(tenant_a.clinician)
    page = _found(client, area=str(tenant_b.pcn.pk))
    assert "Money and benefits advice" not in page


def test_the_directory_is_paginated_by_25(client, tenant_a):
    for n in range(26):
        make_service(tenant_a, name=f"Group {n:02d}")
    client.force_login(tenant_a.clinician)
    first = _found(client)
    assert first.count("nhsuk-card__link") == 25 and "Page 2 of 2" in first
    second = _found(client, page="2")
    assert second.count("nhsuk-card__link") == 2


def _directory_queries(client) -> int:
    client.get(reverse("vcse:services"))  # warm the session and the membership
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("vcse:services"), {"open_only": "on",
                                                         "need": "debt_advice"})
    assert response.status_code == 200
    return len(queries)


def test_the_directory_takes_the_same_number_of_queries_for_2_or_30_services(client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        north = Organisation.objects.get(tenant=tenant_a.tenant, name="Northtown North PCN")
    make_service(tenant_a, name="Group A", areas=[tenant_a.pcn, north])
    client.force_login(tenant_a.clinician)
    few = _directory_queries(client)
    for n in range(28):
        make_service(tenant_a, name=f"Group {n:02d}", areas=[tenant_a.pcn, north])
    many = _directory_queries(client)
    assert few == many
    assert many <= 14


def test_only_administrators_and_vcse_leads_are_offered_to_list_a_service(client, tenant_a):
    for label, offered in [("tenant_admin", True), ("vcse_lead", True), ("clinician", False),
                           ("vcse_worker", False), ("programme_manager", False)]:
        client.force_login(getattr(tenant_a, label))
        assert ("List a new service" in _found(client)) is offered, label


# --------------------------------------------------------------------------- one service


def test_a_service_shows_all_its_details_and_edit_only_to_those_who_maintain_it(client,
                                                                            tenant_a):
    service = make_service(tenant_a, name="Warm homes", categories=["fuel_poverty"],
                           capacity_note="Busy in winter", is_published=False,
                           website="https://warm.example.org", address="1 High Street")
    url = reverse("vcse:service-detail", args=[service.pk])
    client.force_login(tenant_a.gp)
    page = client.get(url).content.decode()
    for text in ["Warm homes", "Northtown Mind", "Fuel poverty", "Busy in winter",
                 "One-to-one advice on debt", "Adults in the city", "The whole place",
                 "advice@example.org", "0114 496 0000", "https://warm.example.org",
                 "1 High Street", "Not published", "Open to referrals"]:
        assert text in page, text
    assert reverse("vcse:service-edit", args=[service.pk]) not in page
    client.force_login(tenant_a.vcse_lead)
    assert reverse("vcse:service-edit", args=[service.pk]) in client.get(url).content.decode()


# --------------------------------------------------------------------------- upkeep


def test_a_tenant_admin_lists_a_service_with_categories_and_areas(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    assert client.get(reverse("vcse:service-new")).status_code == 200
    response = client.post(reverse("vcse:service-new"), _service_post(
        organisation=str(tenant_a.vcse.pk), areas=[str(tenant_a.pcn.pk)]))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        service = Service.objects.get(tenant=tenant_a.tenant, name="Walk and talk group")
        assert response["Location"] == reverse("vcse:service-detail", args=[service.pk])
        assert service.organisation == tenant_a.vcse
        assert service.categories == ["walk_and_talk", "social_groups"]
        assert list(service.areas.all()) == [tenant_a.pcn]
        assert service.is_open and service.is_published


def test_a_vcse_lead_has_their_organisation_chosen_and_lists_a_closed_service(client,
                                                                             tenant_a):
    client.force_login(tenant_a.vcse_lead)
    page = client.get(reverse("vcse:service-new")).content.decode()
    assert f'<option value="{tenant_a.vcse.pk}" selected' in page
    response = client.post(reverse("vcse:service-new"), _service_post(
        organisation=str(tenant_a.vcse.pk), is_open="no", is_published="no"))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        service = Service.objects.get(tenant=tenant_a.tenant, name="Walk and talk group")
    assert not service.is_open and not service.is_published
    assert list(service.areas.all()) == []


def test_a_vcse_lead_cannot_list_or_edit_another_organisations_services(client, tenant_a):
    other, lead = _other_vcse_lead(tenant_a)
    service = _services(tenant_a)[0]
    client.force_login(lead)
    page = client.get(reverse("vcse:service-new")).content.decode()
    assert "Riverside Carers" in page and "Northtown Mind" not in page
    response = client.post(reverse("vcse:service-new"),
                           _service_post(organisation=str(tenant_a.vcse.pk)))
    assert response.status_code == 403
    assert client.get(reverse("vcse:service-edit", args=[service.pk])).status_code == 403
    response = client.post(reverse("vcse:service-edit", args=[service.pk]),
                           _service_post(version=str(service.version)))
    assert response.status_code == 403
    assert [s.name for s in _services(tenant_a)] == ["Money and benefits advice"]
    page = client.get(reverse("vcse:service-detail", args=[service.pk])).content.decode()
    assert reverse("vcse:service-edit", args=[service.pk]) not in page
    assert other.name  # the lead's own organisation exists and is theirs


@pytest.mark.parametrize("label", ["clinician", "vcse_worker", "programme_manager", "gp"])
def test_staff_who_do_not_maintain_the_directory_cannot_list_or_edit(client, tenant_a, label):
    service = _services(tenant_a)[0]
    client.force_login(getattr(tenant_a, label))
    assert client.get(reverse("vcse:service-new")).status_code == 403
    assert client.post(reverse("vcse:service-new"), _service_post(
        organisation=str(tenant_a.vcse.pk))).status_code == 403
    assert client.get(reverse("vcse:service-edit", args=[service.pk])).status_code == 403


def test_a_service_with_no_support_and_no_contact_is_refused_inline_and_not_saved(client,
                                                                                tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("vcse:service-new"), _service_post(
        organisation=str(tenant_a.vcse.pk), categories=[], email=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Choose at least one kind of support." in page
    assert "Give at least one way to contact the service" in page
    assert 'href="#categories"' in page and 'href="#email"' in page
    assert 'value="Walk and talk group"' in page  # what was typed is kept
    assert len(_services(tenant_a)) == 1


def test_a_duplicate_name_is_refused_inline(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("vcse:service-new"), _service_post(
        organisation=str(tenant_a.vcse.pk), name="money and benefits advice"))
    assert response.status_code == 400
    assert "already lists a service with this name" in response.content.decode()
    assert len(_services(tenant_a)) == 1


def test_a_vcse_lead_edits_their_service_and_closes_it_to_referrals(client, tenant_a):
    service = _services(tenant_a)[0]
    client.force_login(tenant_a.vcse_lead)
    page = client.get(reverse("vcse:service-edit", args=[service.pk])).content.decode()
    assert f'name="version" value="{service.version}"' in page
    assert 'value="Money and benefits advice"' in page
    response = client.post(reverse("vcse:service-edit", args=[service.pk]), _service_post(
        version=str(service.version), name="Money advice", categories=["debt_advice"],
        is_open="no", capacity_note="Closed until March", areas=[]))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        service.refresh_from_db()
        assert list(service.areas.all()) == []
    assert (service.name, service.is_open, service.capacity_note) == (
        "Money advice", False, "Closed until March")
    assert service.version == 2


def test_an_edit_from_a_stale_page_answers_409_and_changes_nothing(client, tenant_a):
    service = _services(tenant_a)[0]
    client.force_login(tenant_a.tenant_admin)
    first = client.post(reverse("vcse:service-edit", args=[service.pk]), _service_post(
        version=str(service.version), name="First change"))
    assert first.status_code == 302
    second = client.post(reverse("vcse:service-edit", args=[service.pk]), _service_post(
        version=str(service.version), name="Second change"))
    assert second.status_code == 409
    assert "Someone else changed this service" in second.content.decode()
    assert [s.name for s in _services(tenant_a)] == ["First change"]


def test_an_invalid_edit_is_refused_inline_and_changes_nothing(client, tenant_a):
    service = _services(tenant_a)[0]
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("vcse:service-edit", args=[service.pk]), _service_post(
        version=str(service.version), name="", website="not a web address"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a web address like https://example.org." in page
    with tenant_context(tenant_a.tenant.pk):
        service.refresh_from_db()
    assert (service.name, service.version) == ("Money and benefits advice", 1)
