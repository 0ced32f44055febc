"""Password reset by email: the same answer whatever the address, limited per address, audited,
links that work once and expire, and other sessions ended by the change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.urls import reverse

from pcns.accounts.passwords import RESET_EMAILS_PER_ADDRESS
from pcns.models import AuditEvent, Membership, User
from pcns.tenancy import tenant_context
from referrals.models import Person
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-harbour-lanterns-47"
LINK = re.compile(r"(https?://\S+/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def ask(client, email):
    return client.post(reverse("pcns:password-reset"), {"email": email})


def link_in(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    assert found.group(1).startswith(settings.SITE_URL + "/")
    return found.group(1)[len(settings.SITE_URL):]


def choose(client, path, password=NEW_PASSWORD, again=None):
    """Open the emailed link and submit a new password; returns the form page and the answer."""
    opened = client.get(path)
    assert opened.status_code == 302  # the token moves into the session
    form_page = client.get(opened["Location"])
    assert form_page.status_code == 200
    answer = client.post(opened["Location"],
                         {"password": password, "password_confirm": again or password})
    return form_page, answer


def test_the_sign_in_page_links_to_password_reset(client, tenant_a):
    body = client.get(reverse("pcns:sign-in")).content.decode()
    assert f'href="{reverse("pcns:password-reset")}"' in body
    assert "Forgotten your password?" in body


def test_a_member_of_staff_resets_their_password_by_email_and_signs_in_with_it(
        client, tenant_a, mailoutbox):
    user = tenant_a.clinician
    response = ask(client, user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("pcns:password-reset-sent")
    [email] = mailoutbox
    assert email.to == [user.email]
    assert "within 1 hour" in email.body
    form_page, answer = choose(client, link_in(email.body))
    assert "Set a new password" in form_page.content.decode()
    assert answer.status_code == 302 and answer["Location"] == reverse("pcns:sign-in")
    assert "Your password has been set" in client.get(answer["Location"]).content.decode()
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    signed_in = client.post(reverse("pcns:sign-in"),
                            {"email": user.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and "/sign-in/" not in signed_in["Location"]


def test_the_request_and_the_change_are_audited_without_secrets(client, tenant_a, mailoutbox):
    user = tenant_a.clinician
    ask(client, user.email)
    path = link_in(mailoutbox[0].body)
    choose(client, path)
    with tenant_context(tenant_a.tenant.pk):
        events = list(AuditEvent.objects.filter(target_id=str(user.pk))
                      .values("action", "actor_id", "note", "fields"))
    requested = [e for e in events if e["action"] == "reset_requested"]
    changed = [e for e in events if e["action"] == "password_set"]
    assert len(requested) == 1 and requested[0]["actor_id"] is None
    assert len(changed) == 1 and changed[0]["actor_id"] == user.pk
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert all(token not in str(e) and NEW_PASSWORD not in str(e) for e in events)


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(
        client, tenant_a, mailoutbox):
    with tenant_context(tenant_a.tenant.pk):  # invited, no password yet: nothing to reset
        invited = User.objects.create_user("invited@northtown.example")
        Membership.objects.create(tenant=tenant_a.tenant, user=invited, role="mhp",
                                  employer=tenant_a.trust)
    answers = []
    for email in (tenant_a.clinician.email, "nobody@northtown.example", invited.email):
        response = ask(client, email)
        page = client.get(response["Location"]).content.decode()
        answers.append((response.status_code, response["Location"],
                        re.sub(r'nonce="[^"]*"', "", page)))  # the nonce differs every time
    assert answers[0] == answers[1] == answers[2]
    assert [m.to for m in mailoutbox] == [[tenant_a.clinician.email]]


def test_reset_emails_are_limited_per_address(client, tenant_a, mailoutbox):
    responses = [ask(client, tenant_a.clinician.email)
                 for _ in range(RESET_EMAILS_PER_ADDRESS + 2)]
    assert {r["Location"] for r in responses} == {reverse("pcns:password-reset-sent")}
    assert len(mailoutbox) == RESET_EMAILS_PER_ADDRESS
    ask(client, tenant_a.team_lead.email)  # another address is not held up
    assert len(mailoutbox) == RESET_EMAILS_PER_ADDRESS + 1


def test_a_reset_link_works_only_once(client, tenant_a, mailoutbox):
    ask(client, tenant_a.clinician.email)
    path = link_in(mailoutbox[0].body)
    choose(client, path)
    again = client.get(path, follow=True)
    assert "This link does not work" in again.content.decode()


def test_a_reset_link_expires_after_password_reset_timeout(
        client, tenant_a, mailoutbox, monkeypatch):
    assert settings.PASSWORD_RESET_TIMEOUT == 60 * 60
    ask(client, tenant_a.clinician.email)
    path = link_in(mailoutbox[0].body)
    lifetime = dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    later = PasswordResetTokenGenerator()._now() + lifetime + dt.timedelta(minutes=1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)  # the clock
    body = client.get(path, follow=True).content.decode()
    assert "This link does not work" in body and "within 1 hour" in body


def test_the_password_validators_apply_to_a_reset(client, tenant_a, mailoutbox):
    ask(client, tenant_a.clinician.email)
    _, answer = choose(client, link_in(mailoutbox[0].body), password="password1234")
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "There is a problem" in body and "This password is too common." in body
    tenant_a.clinician.refresh_from_db()
    assert tenant_a.clinician.check_password(PASSWORD)


def test_a_reset_ends_the_persons_other_sessions(client, tenant_a, mailoutbox):
    from django.test import Client

    elsewhere = Client()
    elsewhere.force_login(tenant_a.clinician)
    assert elsewhere.get(reverse("caseload:home-clinician")).status_code == 200
    ask(client, tenant_a.clinician.email)
    choose(client, link_in(mailoutbox[0].body))
    after = elsewhere.get(reverse("caseload:home-clinician"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("pcns:sign-in"))


def test_the_reset_email_names_no_patient(client, tenant_a, mailoutbox):
    ask(client, tenant_a.clinician.email)
    [email] = mailoutbox
    with tenant_context(tenant_a.tenant.pk):
        names = set(Person.objects.values_list("family_name", flat=True))
    assert names and not any(name in email.body or name in email.subject for name in names)


def test_with_the_mail_relay_down_the_answer_is_still_the_same(client, tenant_a, settings):
    import socket

    with socket.socket() as probe:  # a port nothing listens on: a real, unreachable relay
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    response = ask(client, tenant_a.clinician.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("pcns:password-reset-sent")
