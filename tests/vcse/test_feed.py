"""The open directory feed (Open Referral UK): published services of one place, for anyone,
with no personal data and nothing of another place."""

from __future__ import annotations

import json
import uuid

import jsonschema
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pcns.tenancy import tenant_context
from tests.factories import make_onward_referral, make_person, make_referral, make_service
from vcse.codes import SupportCategory

pytestmark = pytest.mark.django_db

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

#: The fields the ORUK profile requires of a service, and the shape of what we add.
SERVICE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "name", "status", "organization"],
    "properties": {
        "id": {"type": "string", "pattern": UUID},
        "name": {"type": "string", "minLength": 1},
        "description": {"type": ["string", "null"]},
        "url": {"type": ["string", "null"]},
        "email": {"type": ["string", "null"]},
        "status": {"enum": ["active", "inactive", "defunct", "temporarily closed"]},
        "organization": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {"id": {"type": "string", "pattern": UUID},
                           "name": {"type": "string", "minLength": 1}},
        },
        "eligibility_description": {"type": ["string", "null"]},
        "eligibilitys": {"type": "array", "items": {
            "type": "object", "required": ["id", "eligibility"],
            "properties": {"id": {"type": "string", "pattern": UUID}}}},
        "contacts": {"type": "array", "items": {
            "type": "object", "required": ["id", "phones"],
            "properties": {"id": {"type": "string", "pattern": UUID},
                           "phones": {"type": "array", "minItems": 1, "items": {
                               "type": "object", "required": ["id", "number"],
                               "properties": {"id": {"type": "string", "pattern": UUID},
                                              "number": {"type": "string", "minLength": 1}}}}}}},
        "service_areas": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "name"],
            "properties": {"id": {"type": "string", "pattern": UUID},
                           "name": {"type": "string", "minLength": 1}}}},
        "service_taxonomys": {"type": "array", "items": {
            "type": "object", "required": ["id", "taxonomy"],
            "properties": {
                "id": {"type": "string", "pattern": UUID},
                "taxonomy": {"type": "object", "required": ["id", "name", "vocabulary"],
                             "properties": {"id": {"enum": SupportCategory.values}}}}}},
    },
}
PAGE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["total_items", "total_pages", "page_number", "size", "first_page",
                 "last_page", "empty", "content"],
    "properties": {
        "total_items": {"type": "integer", "minimum": 0},
        "total_pages": {"type": "integer", "minimum": 0},
        "page_number": {"type": "integer", "minimum": 1},
        "size": {"type": "integer", "minimum": 1, "maximum": 100},
        "first_page": {"type": "boolean"},
        "last_page": {"type": "boolean"},
        "empty": {"type": "boolean"},
        "content": {"type": "array", "items": SERVICE_SCHEMA},
    },
}


def _get(client, name: str, slug: str, *args, **params):
    return client.get(reverse(name, args=[slug, *args]), params)


def _json(response) -> dict:
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


@pytest.fixture
def directory(tenant_a):
    """The cast's published, open service (in its PCN), plus a closed published service with
    no areas, and an unpublished one."""
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        money = cast.vcse.services.get()
    walks = make_service(cast, name="Walk and talk group", is_open=False,
                         categories=["walk_and_talk", "social_groups"], email="",
                         description="A weekly walk in the park, then a cup of tea.",
                         phone="", website="https://walks.example.org/")
    hidden = make_service(cast, name="Hidden pilot", is_published=False)
    return {"cast": cast, "money": money, "walks": walks, "hidden": hidden}


def test_the_index_describes_the_feed(client, directory):
    cast = directory["cast"]
    body = _json(_get(client, "vcse:oruk-index", cast.tenant.slug))
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["services_url"].endswith(reverse("vcse:oruk-services", args=[cast.tenant.slug]))


def test_every_service_in_the_feed_has_the_oruk_required_fields(client, directory):
    jsonschema.Draft202012Validator.check_schema(PAGE_SCHEMA)
    cast = directory["cast"]
    page = _json(_get(client, "vcse:oruk-services", cast.tenant.slug))
    jsonschema.validate(page, PAGE_SCHEMA)
    assert page["content"]
    for item in page["content"]:
        jsonschema.validate(item, SERVICE_SCHEMA)
        one = _json(_get(client, "vcse:oruk-service", cast.tenant.slug, item["id"]))
        jsonschema.validate(one, SERVICE_SCHEMA)
        assert one == item


def test_a_service_carries_its_organisation_contacts_areas_and_categories(client, directory):
    cast, money = directory["cast"], directory["money"]
    item = _json(_get(client, "vcse:oruk-service", cast.tenant.slug, money.pk))
    assert item["id"] == str(money.pk) and item["name"] == "Money and benefits advice"
    assert item["status"] == "active"
    assert item["email"] == "advice@example.org"
    assert item["organization"]["id"] == str(cast.vcse.pk)
    assert item["organization"]["name"] == cast.vcse.name
    assert item["eligibility_description"] == money.eligibility
    assert [e["eligibility"] for e in item["eligibilitys"]] == [money.eligibility]
    assert [p["number"] for c in item["contacts"] for p in c["phones"]] == ["0114 496 0000"]
    assert [a["name"] for a in item["service_areas"]] == [cast.pcn.name]
    assert [t["taxonomy"]["id"] for t in item["service_taxonomys"]] == ["debt_advice",
                                                                       "welfare_benefits"]
    assert item["service_taxonomys"][0]["taxonomy"]["name"] == "Debt advice"
    # Ids of records derived from the service are the same on every read.
    again = _json(_get(client, "vcse:oruk-service", cast.tenant.slug, money.pk))
    assert again["service_taxonomys"] == item["service_taxonomys"]


def test_a_closed_service_is_inactive_and_one_with_no_pcns_covers_the_place(client, directory):
    cast = directory["cast"]
    item = _json(_get(client, "vcse:oruk-service", cast.tenant.slug, directory["walks"].pk))
    assert item["status"] == "inactive"
    assert [a["name"] for a in item["service_areas"]] == ["Northtown place"]
    assert item["contacts"] == [] and item["email"] is None
    assert item["url"] == "https://walks.example.org/"


def test_unpublished_services_are_absent(client, directory):
    cast, hidden = directory["cast"], directory["hidden"]
    page = _json(_get(client, "vcse:oruk-services", cast.tenant.slug))
    assert str(hidden.pk) not in {item["id"] for item in page["content"]}
    assert page["total_items"] == 2
    response = _get(client, "vcse:oruk-service", cast.tenant.slug, hidden.pk)
    assert response.status_code == 404
    assert "Hidden pilot" not in response.content.decode()


def test_the_list_pages_with_the_oruk_header(client, directory):
    cast = directory["cast"]
    for n in range(3):
        make_service(cast, name=f"Peer group {n}", categories=["peer_support"])
    slug = cast.tenant.slug
    first = _json(_get(client, "vcse:oruk-services", slug, per_page=2))
    assert {key: first[key] for key in ["total_items", "total_pages", "page_number", "size",
                                        "first_page", "last_page", "empty"]} == {
        "total_items": 5, "total_pages": 3, "page_number": 1, "size": 2,
        "first_page": True, "last_page": False, "empty": False}
    assert len(first["content"]) == 2
    last = _json(_get(client, "vcse:oruk-services", slug, per_page=2, page=3))
    assert (last["first_page"], last["last_page"], len(last["content"])) == (False, True, 1)
    pages = [first] + [_json(_get(client, "vcse:oruk-services", slug, per_page=2, page=p))
                       for p in (2, 3)]
    ids = [item["id"] for page in pages for item in page["content"]]
    assert len(ids) == len(set(ids)) == 5
    beyond = _json(_get(client, "vcse:oruk-services", slug, per_page=2, page=9))
    assert beyond["empty"] is True and beyond["content"] == []
    assert _json(_get(client, "vcse:oruk-services", slug, per_page=500))["size"] == 100
    assert _json(_get(client, "vcse:oruk-services", slug, per_page="lots"))["size"] == 50


def test_the_list_filters_by_taxonomy_and_text(client, directory):
    cast = directory["cast"]
    slug = cast.tenant.slug

    def names(**params):
        return [i["name"] for i in _json(_get(client, "vcse:oruk-services", slug,
                                              **params))["content"]]

    assert names(taxonomy_id="walk_and_talk") == ["Walk and talk group"]
    assert names(taxonomy_id="debt_advice") == ["Money and benefits advice"]
    assert names(taxonomy_id="not-a-code") == []
    assert names(text="benefits") == ["Money and benefits advice"]
    assert names(text="walk", taxonomy_id="debt_advice") == []


def test_the_list_takes_the_same_queries_for_two_services_or_six(client, directory):
    cast = directory["cast"]
    url = reverse("vcse:oruk-services", args=[cast.tenant.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        make_service(cast, name=f"Peer group {n}", categories=["peer_support"],
                     areas=[cast.pcn])
    with CaptureQueriesContext(connection) as many:
        assert len(_json(client.get(url))["content"]) == 6
    assert len(many) == len(few)


def test_the_feed_answers_without_signing_in(client, directory):
    cast = directory["cast"]
    for name, args in [("vcse:oruk-index", []), ("vcse:oruk-services", []),
                       ("vcse:oruk-service", [directory["money"].pk])]:
        response = _get(client, name, cast.tenant.slug, *args)
        assert response.status_code == 200, name
        _json(response)
        assert "sessionid" not in response.cookies


def test_the_feed_is_get_only(client, directory):
    response = client.post(reverse("vcse:oruk-services", args=[directory["cast"].tenant.slug]))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    _json(response)


def test_an_unknown_place_is_404(client, directory):
    for name, args in [("vcse:oruk-index", []), ("vcse:oruk-services", []),
                       ("vcse:oruk-service", [directory["money"].pk])]:
        response = _get(client, name, "nowhere", *args)
        assert response.status_code == 404
        assert _json(response) == {"message": "Not found."}


def test_another_places_slug_never_shows_this_places_services(client, directory, tenant_b):
    cast = directory["cast"]
    ours = {str(directory["money"].pk), str(directory["walks"].pk)}
    theirs = _json(_get(client, "vcse:oruk-services", tenant_b.tenant.slug))
    assert theirs["total_items"] == 1
    assert ours.isdisjoint(item["id"] for item in theirs["content"])
    assert cast.vcse.name not in json.dumps(theirs)
    for service_id in ours:
        assert _get(client, "vcse:oruk-service", tenant_b.tenant.slug,
                    service_id).status_code == 404
        assert _get(client, "vcse:oruk-service", cast.tenant.slug,
                    service_id).status_code == 200


def test_a_signed_in_user_of_another_place_reads_the_feed_it_names(client, directory, tenant_b):
    client.force_login(tenant_b.clinician)
    page = _json(_get(client, "vcse:oruk-services", directory["cast"].tenant.slug))
    assert {item["organization"]["name"] for item in page["content"]} == {
        directory["cast"].vcse.name}


def test_no_personal_data_appears_anywhere_in_the_feed(client, directory):
    cast = directory["cast"]
    person = make_person(cast, given_name="Philippa", family_name="Vanstone-Hargreaves",
                         phone="07700 900456", email="philippa.vh@example.net",
                         address="12 Quarry Lane")
    referral = make_referral(cast, person=person)
    make_onward_referral(cast, referral=referral, service=directory["money"], share_risk=True,
                         risk_information="Lives alone; low mood in winter")
    number = person.nhs_number
    personal = [person.given_name, person.family_name, number,
                f"{number[:3]} {number[3:6]} {number[6:]}", person.phone, person.email,
                person.address, "Lives alone", str(referral.pk)]
    slug = cast.tenant.slug
    bodies = [_get(client, "vcse:oruk-index", slug), _get(client, "vcse:oruk-services", slug),
              _get(client, "vcse:oruk-services", slug, text="Philippa")]
    bodies += [_get(client, "vcse:oruk-service", slug, service.pk)
               for service in (directory["money"], directory["walks"])]
    for response in bodies:
        text = response.content.decode()
        for value in personal:
            assert value not in text, value
    assert str(uuid.UUID(str(directory["money"].pk))) in bodies[1].content.decode()
