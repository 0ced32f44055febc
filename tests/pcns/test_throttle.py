"""Sign-in throttling: per account for real users only, a higher limit per client address (read
through the trusted proxies), lockouts that expire or an administrator lifts, the Django admin's
sign-in included, and sign-in that still works when Redis is down."""

from __future__ import annotations

import logging
import socket
import time

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from pcns.accounts import throttle
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def _sign_in(client, email, password=PASSWORD, **extra):
    return client.post(reverse("pcns:sign-in"), {"email": email, "password": password}, **extra)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_brute_force_on_the_sign_in_page_locks_that_account_only(client, tenant_a):
    for _ in range(5):
        assert "Enter a correct email" in _sign_in(
            client, tenant_a.clinician.email, "guess").content.decode()
    response = _sign_in(client, tenant_a.clinician.email)  # the right password, too late
    assert "Too many failed attempts" in response.content.decode()
    assert not _signed_in(client)
    # Someone else at the same address is not locked out.
    assert _sign_in(client, tenant_a.team_lead.email)["Location"] == reverse("pcns:home")
    with tenant_context(tenant_a.tenant.pk):
        notes = list(AuditEvent.objects.filter(
            actor=tenant_a.clinician, action="sign_in_failed").order_by("at").values_list(
            "note", flat=True))
    assert notes == ["wrong password"] * 4 + ["wrong password; account locked",
                                              "refused: account locked"]


def test_five_failures_for_unknown_emails_leave_a_real_user_able_to_sign_in(client, tenant_a):
    for number in range(5):
        _sign_in(client, f"made-up-{number}@example.test", "guess")
    assert _sign_in(client, tenant_a.clinician.email)["Location"] == reverse("pcns:home")


def test_an_unknown_email_is_answered_exactly_as_a_real_one_so_accounts_cannot_be_listed(
    client, tenant_a
):
    """Six wrong passwords for a made-up email get the same answers as for a real account
    (locked after five), so the answers do not say which emails have accounts."""
    def answers(email):
        return [_sign_in(client, email, "guess").content.decode().count("Too many failed")
                for _ in range(6)]

    assert answers("made-up@example.test") == answers(tenant_a.clinician.email) == [0] * 5 + [1]
    assert _sign_in(client, tenant_a.team_lead.email)["Location"] == reverse("pcns:home")


def test_many_failures_from_one_address_lock_that_address_only(client, tenant_a, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS = 8
    for number in range(8):
        # The client writes whatever it likes on the left; the proxy appends the real address.
        _sign_in(client, f"made-up-{number}@example.test", "guess",
                 HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.7")
    refused = _sign_in(client, tenant_a.clinician.email, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert "Too many failed attempts" in refused.content.decode()
    allowed = _sign_in(client, tenant_a.clinician.email, HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert allowed["Location"] == reverse("pcns:home")


@pytest.mark.parametrize("hops,forwarded,expected", [
    (0, "203.0.113.7", "192.0.2.1"),
    (1, "10.9.9.9, 203.0.113.7", "203.0.113.7"),
    (2, "10.9.9.9, 203.0.113.7, 172.16.0.5", "203.0.113.7"),
    (2, "203.0.113.7", "192.0.2.1"),  # fewer entries than trusted proxies: not trusted
    (1, "", "192.0.2.1"),
])
def test_the_client_address_comes_from_the_trusted_proxy_hops(settings, hops, forwarded,
                                                               expected):
    settings.TRUSTED_PROXY_HOPS = hops
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert throttle.client_address(request) == expected


def test_per_address_limit_is_higher_than_per_account(settings):
    assert settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS > 5 * settings.SIGN_IN_MAX_FAILURES


def test_a_lockout_expires(client, tenant_a, settings):
    settings.SIGN_IN_FAILURE_WINDOW_SECONDS = 1
    user = tenant_a.clinician
    for _ in range(5):
        _sign_in(client, user.email, "guess")
    assert "Too many failed attempts" in _sign_in(client, user.email).content.decode()
    deadline = time.monotonic() + 10
    while throttle.account_locked(user_id=user.pk):  # Redis expires the count
        assert time.monotonic() < deadline, "the lockout did not expire"
        time.sleep(0.05)
    assert _sign_in(client, user.email)["Location"] == reverse("pcns:home")


def test_a_tenant_administrator_can_lift_a_lockout_in_their_own_tenant(
    client, tenant_a, tenant_b
):
    ours, theirs = tenant_a.clinician, tenant_b.clinician
    for user in (ours, theirs):
        for _ in range(5):
            _sign_in(client, user.email, "guess")
    admin_client = client.__class__()
    admin_client.force_login(tenant_a.tenant_admin)
    response = admin_client.post(reverse("admin:pcns_user_changelist"), {
        "action": "lift_sign_in_lockout", "_selected_action": [str(ours.pk), str(theirs.pk)],
    })
    assert response.status_code == 302
    assert not throttle.account_locked(user_id=ours.pk)
    assert throttle.account_locked(user_id=theirs.pk)
    assert _sign_in(client, ours.email)["Location"] == reverse("pcns:home")
    with tenant_context(tenant_a.tenant.pk):
        lifted = AuditEvent.objects.get(action="sign_in_security")
    assert (lifted.actor_id, lifted.target_id, lifted.note) == (
        tenant_a.tenant_admin.pk, str(ours.pk), "sign-in lockout lifted")


def test_brute_force_at_the_admin_sign_in_is_locked_per_account(client, tenant_a):
    admin = tenant_a.tenant_admin
    for _ in range(12):
        response = client.get("/admin/login/?next=/admin/", follow=True)
        page = response.redirect_chain[-1][0]
        assert page.startswith(reverse("pcns:sign-in"))
        client.post(page, {"email": admin.email, "password": "guess", "next": "/admin/"})
    response = client.post(reverse("pcns:sign-in") + "?next=/admin/",
                           {"email": admin.email, "password": PASSWORD, "next": "/admin/"})
    assert "Too many failed attempts" in response.content.decode()
    assert not _signed_in(client)
    assert throttle.account_locked(user_id=admin.pk)
    assert client.get("/admin/").status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(actor=admin, action="sign_in_failed").count() == 13


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_redis_down_sign_in_still_works_and_the_log_says_so(
    client, tenant_a, settings, caplog
):
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
    }}
    with caplog.at_level(logging.WARNING, logger="pcns.accounts.throttle"):
        _sign_in(client, tenant_a.clinician.email, "guess")
        response = _sign_in(client, tenant_a.clinician.email)
    assert response["Location"] == reverse("pcns:home")
    assert _signed_in(client)
    assert any("Sign-in throttling is off" in r.getMessage() for r in caplog.records)
