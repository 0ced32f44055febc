"""Invitations: administrators invite staff by email; staff set their own passwords, once, in
time; administrators never set or see a password, and nothing shows another tenant."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from pcns.accounts.invitations import EMAIL_UNAVAILABLE, NotInvitable, invitation_send
from pcns.dataset import dataset_import
from pcns.models import AuditEvent, Invitation, Membership, User
from pcns.tenancy import tenant_context
from tests.dataset.helpers import tables

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Quiet-harbour-lanterns-47"
LINK = re.compile(r"(https?://\S+/invitation/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def new_staff(cast, email: str = "nia.starter@northtown.example") -> User:
    """A member of staff with no password yet, as the admin or the importer makes them."""
    with tenant_context(cast.tenant.pk):
        user = User.objects.create_user(email, first_name="Nia", last_name="Starter")
        Membership.objects.create(tenant=cast.tenant, user=user, role="mhp", employer=cast.trust)
    return user


def invite(cast, user, capture) -> str:
    """Invite ``user`` as the cast's administrator; return the link from the email."""
    with capture(execute=True), tenant_context(cast.tenant.pk):
        invitation_send(user=user, actor=cast.tenant_admin)
    return link_in(mail_for(user.email)[-1].body)


def mail_for(email):
    from django.core import mail
    return [m for m in mail.outbox if m.to == [email]]


def link_in(body: str) -> str:
    found = LINK.search(body)
    assert found, body
    return found.group(1)


def path_of(link: str) -> str:
    assert link.startswith(settings.SITE_URL + "/")
    return link[len(settings.SITE_URL):]


def open_link(client, link):
    response = client.get(path_of(link))
    assert response.status_code == 302
    return client.get(response["Location"])


def set_password(client, link, password=NEW_PASSWORD, again=None):
    page = open_link(client, link)
    if page.status_code != 200:
        return page
    return client.post(reverse("pcns:invitation-set-password"),
                       {"password": password, "password_confirm": again or password})


def add_staff_in_admin(client, cast, email="nia.starter@northtown.example", **extra):
    return client.post(reverse("admin:pcns_user_add"), {
        "email": email, "first_name": "Nia", "last_name": "Starter",
        "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "0",
        "membership-MIN_NUM_FORMS": "1", "membership-MAX_NUM_FORMS": "1",
        "membership-0-role": "mhp", "membership-0-employer": str(cast.trust.pk),
        "membership-0-is_active": "on", "_save": "Save", **extra,
    })


# --- the administrator's side ---------------------------------------------------------------

def test_adding_staff_in_the_admin_emails_an_invitation_and_gives_the_account_no_password(
        client, tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_staff_in_admin(client, tenant_a)
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="nia.starter@northtown.example")
    assert not user.has_usable_password()
    [email] = mailoutbox
    assert email.to == [user.email]
    assert link_in(email.body).startswith(settings.SITE_URL + "/invitation/")
    assert "Northtown" in email.body
    with tenant_context(tenant_a.tenant.pk):
        assert Invitation.objects.filter(user=user).count() == 1
        assert AuditEvent.objects.filter(action="invite", target_id=str(user.pk),
                                         actor=tenant_a.tenant_admin).exists()


def test_adding_inactive_staff_sends_no_invitation_and_says_so(
        client, tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_staff_in_admin(client, tenant_a, **{"membership-0-is_active": ""})
    assert response.status_code == 302
    assert "No invitation was sent" in client.get(response["Location"]).content.decode()
    assert mailoutbox == []


def test_the_admin_forms_have_no_password_fields_or_password_link(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    add_page = client.get(reverse("admin:pcns_user_add")).content.decode()
    change_page = client.get(
        reverse("admin:pcns_user_change", args=[tenant_a.clinician.pk])).content.decode()
    for body in (add_page, change_page):
        assert 'name="email"' in body
        assert 'name="password' not in body and "password/" not in body
    assert "Send invitations to selected staff" in client.get(
        reverse("admin:pcns_user_changelist")).content.decode()


def test_an_administrator_cannot_set_a_password_by_posting_one(
        client, tenant_a, django_capture_on_commit_callbacks):
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        add_staff_in_admin(client, tenant_a, password1=NEW_PASSWORD, password2=NEW_PASSWORD,
                           password=NEW_PASSWORD)
    assert not User.objects.get(email="nia.starter@northtown.example").has_usable_password()
    url = reverse("admin:auth_user_password_change", args=[tenant_a.clinician.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                 "usable_password": "true"})
    assert response.status_code == 404
    tenant_a.clinician.refresh_from_db()
    assert not tenant_a.clinician.check_password(NEW_PASSWORD)


def test_the_invite_action_emails_staff_without_a_password_and_skips_the_others(
        client, tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:pcns_user_changelist"), {
            "action": "send_invitations",
            "_selected_action": [str(starter.pk), str(tenant_a.clinician.pk)],
        }, follow=True)
    body = response.content.decode()
    assert "Invitation emailed to 1 member of staff" in body
    assert "1 not invited: they have already set a password" in body
    assert [m.to for m in mailoutbox] == [[starter.email]]


def test_another_tenants_administrator_can_neither_invite_nor_see_our_staff(
        client, tenant_a, tenant_b, mailoutbox, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    invite(tenant_a, starter, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    client.force_login(tenant_b.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:pcns_user_changelist"), {
            "action": "send_invitations", "_selected_action": [str(starter.pk)]})
    assert mailoutbox == []
    assert client.get(reverse("admin:pcns_user_change", args=[starter.pk])).status_code == 404
    assert starter.email not in client.get(reverse("admin:pcns_user_changelist")).content.decode()
    with tenant_context(tenant_b.tenant.pk):
        assert not Invitation.objects.filter(user=starter).exists()
        assert set(Invitation.objects.values_list("tenant_id", flat=True)) == {tenant_b.tenant.pk}
        with pytest.raises(NotInvitable):
            invitation_send(user=starter, actor=tenant_b.tenant_admin)
    with tenant_context(tenant_a.tenant.pk):
        assert Invitation.objects.filter(user=starter).count() == 1


# --- the invited person's side -------------------------------------------------------------

def test_the_link_lets_the_person_set_a_password_and_sends_them_to_sign_in(
        client, tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    page = open_link(client, link)
    assert page.status_code == 200
    assert starter.email in page.content.decode()
    response = set_password(client, link)
    assert response.status_code == 302 and response["Location"] == reverse("pcns:sign-in")
    sign_in_page = client.get(response["Location"]).content.decode()
    assert "Your password has been set" in sign_in_page
    assert "_auth_user_id" not in client.session  # not signed in: the sign-in page does that
    starter.refresh_from_db()
    assert starter.check_password(NEW_PASSWORD)
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="password_set", actor=starter).count() == 1
    signed_in = client.post(reverse("pcns:sign-in"),
                            {"email": starter.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and "/sign-in/" not in signed_in["Location"]


def test_the_link_works_only_once(client, tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    set_password(client, link)
    again = set_password(client, link, password="Another-long-passphrase-93")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    starter.refresh_from_db()
    assert starter.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused_with_what_to_do(
        client, tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    with tenant_context(tenant_a.tenant.pk):
        invitation = Invitation.objects.get(user=starter)
        assert invitation.expires_at - invitation.created_at == dt.timedelta(days=7)
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = set_password(client, link)
    assert response.status_code == 410
    assert "has expired. Ask your service administrator" in response.content.decode()
    starter.refresh_from_db()
    assert not starter.has_usable_password()


def test_a_new_invitation_ends_the_earlier_link(
        client, tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    first = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    second = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    refused = set_password(client, first)
    assert refused.status_code == 410 and "A newer invitation" in refused.content.decode()
    assert set_password(client, second).status_code == 302


def test_a_wrong_token_is_refused(client, tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    response = set_password(client, link[:-6] + "abcde/")
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()
    no_token = client.get(reverse("pcns:invitation-set-password"), follow=False)
    assert no_token.status_code == 404


def test_only_a_hash_of_the_token_is_stored(tenant_a, django_capture_on_commit_callbacks):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    token = link.rstrip("/").rsplit("/", 1)[1]
    with tenant_context(tenant_a.tenant.pk):
        invitation = Invitation.objects.get(user=starter)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {invitation.token_hash, str(invitation.pk)}


@pytest.mark.parametrize(("password", "again", "message"), [
    ("Sh0rt-pw", None, "This password is too short. It must contain at least 12 characters."),
    ("918273645091", None, "This password is entirely numeric."),
    ("qwertyuiop123", None, "This password is too common."),
    ("nia.starter.northtown", None, "The password is too similar to the email address."),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "The passwords do not match."),
])
def test_the_password_validators_apply_and_show_their_errors_inline(
        client, tenant_a, django_capture_on_commit_callbacks, password, again, message):
    starter = new_staff(tenant_a)
    link = invite(tenant_a, starter, django_capture_on_commit_callbacks)
    response = set_password(client, link, password=password, again=again)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert 'class="nhsuk-error-message"' in body
    starter.refresh_from_db()
    assert not starter.has_usable_password()


# --- staff import and email addresses used elsewhere ---------------------------------------

def staff_row(cast, email):
    return {"id": "S1", "email": email, "first_name": "Nia", "last_name": "Starter",
            "role": "mhp", "employer_id": str(cast.trust.pk)}


def test_imported_staff_have_no_password_until_they_accept_an_invitation(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(
            tables=tables(staff=[staff_row(tenant_a, "imported@northtown.example")]),
            actor=tenant_a.tenant_admin)
    assert report.imported and report.errors == []
    assert not User.objects.get(email="imported@northtown.example").has_usable_password()


def test_staff_import_refuses_an_email_used_in_another_place_without_saying_where(
        tenant_a, tenant_b):
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(
            tables=tables(staff=[staff_row(tenant_a, tenant_b.clinician.email)]),
            actor=tenant_a.tenant_admin)
    [error] = report.errors
    assert (error.column, error.message) == ("email", EMAIL_UNAVAILABLE)
    assert "place" not in error.message and tenant_b.tenant.name not in error.message


def test_the_admin_refuses_an_email_used_in_another_place_without_saying_where(
        client, tenant_a, tenant_b, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(tenant_a.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = add_staff_in_admin(client, tenant_a, email=tenant_b.clinician.email)
    body = response.content.decode()
    assert response.status_code == 200
    assert EMAIL_UNAVAILABLE in body
    assert "already exists" not in body and tenant_b.tenant.name not in body
    assert mailoutbox == []
    ours = add_staff_in_admin(client, tenant_a, email=tenant_a.clinician.email)
    assert "A member of staff here already has this email address." in ours.content.decode()


def test_a_platform_superuser_outside_any_tenant_keeps_djangos_password_fields(client, db):
    """The platform team makes a place's first administrator; nobody in a tenant sets passwords."""
    superuser = User.objects.create_superuser("platform@example.org", NEW_PASSWORD)
    client.force_login(superuser)
    body = client.get(reverse("admin:pcns_user_add")).content.decode()
    assert 'name="password1"' in body
    assert "send_invitations" not in client.get(
        reverse("admin:pcns_user_changelist")).content.decode()


def test_a_mail_relay_that_is_down_leaves_the_invitation_saved_and_no_server_error(
    tenant_a, settings, django_capture_on_commit_callbacks, caplog
):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    user = new_staff(tenant_a)

    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant_a.tenant.pk):
        invitation_send(user=user, actor=tenant_a.tenant_admin)

    with tenant_context(tenant_a.tenant.pk):
        assert Invitation.objects.filter(user=user, accepted_at__isnull=True).count() == 1
    assert "invitation email could not be sent" in caplog.text
    assert user.email not in caplog.text


def test_the_session_keeps_only_the_tokens_hash_between_the_link_and_the_form(
        client, tenant_a, django_capture_on_commit_callbacks):
    """A copy of the sessions table (a backup, say) must not open an invitation."""
    link = invite(tenant_a, new_staff(tenant_a), django_capture_on_commit_callbacks)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert open_link(client, link).status_code == 200
    stored = "".join(str(value) for value in client.session.values())
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored
