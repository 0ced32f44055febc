"""The API shell: authentication, tenant scoping, one error shape, pagination, filters, schema."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def test_the_api_refuses_anonymous_callers_in_the_error_shape(api, tenant_a):
    response = api.get(reverse("api:team-list"))
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"message", "errors"}
    assert response.json()["errors"] == {}


def test_token_authentication_sets_the_tenant_context(api, tenant_a, tenant_b):
    token = Token.objects.create(user=tenant_a.team_lead)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(reverse("api:organisation-list"))
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    assert "Northtown Central PCN" in names
    assert not any("Southvale" in name for name in names)


def test_list_responses_are_paginated(api, tenant_a):
    api.force_authenticate(tenant_a.team_lead)
    body = api.get(reverse("api:organisation-list"), {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 2 and body["count"] > 2 and body["next"]


def test_organisations_can_be_filtered_by_kind(api, tenant_a):
    api.force_authenticate(tenant_a.team_lead)
    body = api.get(reverse("api:organisation-list"), {"kind": "pcn"}).json()
    assert {row["kind"] for row in body["results"]} == {"pcn"}
    assert body["count"] == 2


def test_a_bad_filter_value_is_a_400_with_field_errors(api, tenant_a):
    api.force_authenticate(tenant_a.team_lead)
    response = api.get(reverse("api:organisation-list"), {"kind": "hospital"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] and "kind" in body["errors"]


def test_a_missing_object_is_a_404_in_the_error_shape(api, tenant_a):
    api.force_authenticate(tenant_a.team_lead)
    response = api.get(reverse("api:team-detail", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "errors": {}}


def test_staff_are_scoped_to_shared_teams_for_clinicians(api, tenant_a):
    api.force_authenticate(tenant_a.clinician)
    emails = {row["user"]["email"] for row in api.get(reverse("api:staff-list")).json()["results"]}
    assert tenant_a.team_lead.email in emails
    assert tenant_a.other_clinician.email not in emails
    assert tenant_a.vcse_worker.email not in emails


def test_me_describes_the_callers_membership(api, tenant_a):
    api.force_authenticate(tenant_a.vcse_worker)
    body = api.get(reverse("api:me")).json()
    assert body["role"] == "vcse_worker" and body["tenant"] == "Northtown"
    assert body["teams"] == [str(tenant_a.vcse_team.pk)]


def test_the_openapi_schema_describes_the_endpoints(api, db):
    response = api.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/organisations/", "/api/v1/teams/{id}/", "/api/v1/staff/",
                 "/api/v1/me/", "/api/v1/metrics/"):
        assert path in paths


def test_the_api_documentation_page_loads_without_external_assets(client, db):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    assert "swagger-ui" in response.content.decode()
    assert "cdn." not in response.content.decode()


def test_the_api_documentation_page_has_no_inline_script_for_the_csp_to_block(client, db):
    html = client.get(reverse("api:docs")).content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="' in attributes and not body.strip()
                           for attributes, body in scripts)
    start_up = re.findall(r'<script src="([^"]*script=[^"]*)"', html)
    assert len(start_up) == 1
    response = client.get(start_up[0].replace("&amp;", "&"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_api_applies_the_same_object_permissions_as_the_pages(api, tenant_a):
    api.force_authenticate(tenant_a.vcse_worker)
    assert api.get(reverse("api:team-detail", args=[tenant_a.pcn_team.pk])).status_code == 404
    assert api.get(reverse("api:team-detail", args=[tenant_a.vcse_team.pk])).status_code == 200
    api.force_authenticate(tenant_a.clinician)
    other = tenant_a.other_clinician
    from pcns.tenancy import tenant_context

    with tenant_context(tenant_a.tenant.pk):
        other_membership_id = other.membership.pk
    assert api.get(reverse("api:staff-detail", args=[other_membership_id])).status_code == 404
