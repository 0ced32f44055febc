"""Patient data stays out of the browser's cache: every answer to a signed-in user is
`Cache-Control: no-store`, pages and API alike; public pages and static files are left alone."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import make_referral

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_person_page_is_not_stored_by_the_browser(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("referrals:person-detail", args=[referral.person.pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_a_referral_page_is_not_stored_by_the_browser(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("referrals:detail", args=[referral.pk]))
    assert response.status_code == 200
    assert _no_store(response)


def test_an_api_answer_to_a_session_is_not_stored_by_the_browser(client, tenant_a):
    make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("api:referral-list"))
    assert response.status_code == 200 and response.json()["results"]
    assert _no_store(response)


def test_an_api_answer_to_a_token_is_not_stored_either(client, tenant_a):
    make_referral(tenant_a)
    token = Token.objects.create(user=tenant_a.clinician)
    response = client.get(reverse("api:referral-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response.json()["results"]
    assert _no_store(response)


def test_an_error_page_for_a_signed_in_user_is_not_stored_either(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert _no_store(response)


def test_public_pages_and_static_files_are_left_to_their_own_caching(client, db):
    assert not _no_store(client.get(reverse("api:docs")))
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert not _no_store(static)
