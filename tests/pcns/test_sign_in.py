"""Sign-in, sign-out, session expiry, throttling and the landing page for each role."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from tests.factories import PASSWORD
from tests.two_factor_helpers import code_for, ready_for_sign_in

pytestmark = pytest.mark.django_db

LANDING = {
    "clinician": "caseload:home-clinician",
    "connector": "caseload:home-clinician",
    "peer_support": "caseload:home-clinician",
    "team_lead": "caseload:home-team-lead",
    "vcse_worker": "pcns:home-vcse",
    "gp": "pcns:home-practice",
    "programme_manager": "pcns:home-programme",
    "tenant_admin": "pcns:home-admin",
}


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("pcns:sign-in"), {"email": email, "password": password}, **extra)


def test_pages_need_a_signed_in_user(client, tenant_a):
    response = client.get(reverse("pcns:team-detail", args=[tenant_a.pcn_team.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pcns:sign-in") + "?next=")


def _sign_in_with_both_factors(client, user):
    """Password, then (for roles that need it) the code from their authenticator app."""
    ready_for_sign_in(user)
    response = _sign_in(client, user.email)
    if response["Location"] == reverse("pcns:two-factor"):
        response = client.post(reverse("pcns:two-factor"), {"code": code_for(user)})
    return response


@pytest.mark.parametrize("label", LANDING)
def test_each_role_lands_on_its_own_page_after_signing_in(client, tenant_a, label):
    user = tenant_a.users[label]
    response = _sign_in_with_both_factors(client, user)
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"] == reverse(LANDING[label])
    page = client.get(home["Location"])
    assert page.status_code == 200
    assert tenant_a.tenant.name in page.content.decode()


def test_signing_in_is_recorded_in_the_audit_log(client, tenant_a):
    _sign_in(client, tenant_a.clinician.email)
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(actor=tenant_a.clinician, action="sign_in").count() == 1


@pytest.mark.parametrize("label", ["clinician", "vcse_worker", "gp", "programme_manager"])
def test_a_role_cannot_open_another_roles_landing_page(client, tenant_a, label):
    client.force_login(tenant_a.users[label])
    assert client.get(reverse("pcns:home-admin")).status_code == 403


def test_a_wrong_password_shows_an_error_next_to_the_form_and_signs_nobody_in(client, tenant_a):
    response = _sign_in(client, tenant_a.clinician.email, "wrong-password")
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a correct email address and password" in body
    assert "The password is case-sensitive." in body  # the email address is not
    assert "_auth_user_id" not in client.session


def test_the_email_address_is_not_case_sensitive(client, tenant_a):
    """What the error message says: only the password must match its case."""
    user = tenant_a.clinician
    user.set_password("Correct-Horse-42")
    user.save(update_fields=["password"])
    response = _sign_in(client, user.email.upper(), "Correct-Horse-42")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_missing_email_is_reported_against_the_email_field(client, db):
    response = client.post(reverse("pcns:sign-in"), {"email": "", "password": "x"})
    assert 'href="#email"' in response.content.decode()
    assert "Enter your email address" in response.content.decode()


def test_repeated_failures_lock_sign_in_for_that_email(client, tenant_a, settings):
    settings.SIGN_IN_MAX_FAILURES = 3
    for _ in range(3):
        _sign_in(client, tenant_a.clinician.email, "wrong-password")
    response = _sign_in(client, tenant_a.clinician.email)  # the right password, too late
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_needs_a_post_and_ends_the_session(client, tenant_a):
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("pcns:sign-out")).status_code == 405
    response = client.post(reverse("pcns:sign-out"))
    assert response["Location"] == reverse("pcns:signed-out")
    assert client.get(reverse("pcns:home")).status_code == 302
    assert "You have signed out" in client.get(reverse("pcns:signed-out")).content.decode()


def test_a_session_expires_after_the_idle_limit(client, tenant_a, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # activity extends the session
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("caseload:home-clinician")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("caseload:home-clinician"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("pcns:sign-in"))


def test_a_user_without_a_membership_is_refused(client, db):
    from tests.factories import make_user

    client.force_login(make_user("nobody@example.test"))
    assert client.get(reverse("pcns:home")).status_code == 403


def test_the_sign_in_page_will_not_redirect_to_another_site(client, tenant_a):
    response = client.post(
        reverse("pcns:sign-in") + "?next=https://evil.example/",
        {"email": tenant_a.clinician.email, "password": PASSWORD,
         "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("pcns:home")
