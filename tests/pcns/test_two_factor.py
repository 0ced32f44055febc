"""Two-factor sign-in: setting up an authenticator app, signing in with its code or a recovery
code, who must use it, the account page, an administrator's reset, and the Django admin."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcns import demo_data
from pcns.accounts import two_factor
from pcns.models import AuditEvent, Tenant
from pcns.tenancy import tenant_context
from tests.factories import PASSWORD
from tests.two_factor_helpers import code_for, code_for_secret, give_totp_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_throttle(settings):
    # django-otp's own back-off (1, 2, 4 s after wrong codes) is tested by django-otp; here a
    # right code may follow a wrong one at once.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    cache.clear()
    yield
    cache.clear()


def _password(client, user, next_url=""):
    data = {"email": user.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("pcns:sign-in"), data)


def _code(client, code):
    return client.post(reverse("pcns:two-factor"), {"code": code})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _audit(cast, **filters) -> list[AuditEvent]:
    with tenant_context(cast.tenant.pk):
        return list(AuditEvent.objects.filter(**filters).order_by("at"))


def _secret(response) -> str:
    return re.search(r'id="secret">([A-Z2-7 ]+)<', response.content.decode()).group(1)


# --- Setting up ---------------------------------------------------------------------------------


def test_a_tenant_administrator_sets_up_an_app_before_any_session_exists(client, tenant_a):
    admin = tenant_a.tenant_admin
    response = _password(client, admin)
    assert response["Location"] == reverse("pcns:two-factor-set-up")
    assert not _signed_in(client)
    assert client.get(reverse("pcns:home-admin"))["Location"].startswith(reverse("pcns:sign-in"))

    page = client.get(reverse("pcns:two-factor-set-up"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "Set up two-factor sign-in" in body
    response = client.post(reverse("pcns:two-factor-set-up"), {"code": code_for_secret(
        _secret(page))})
    assert response["Location"] == reverse("pcns:recovery-codes")
    assert client.session["_auth_user_id"] == str(admin.pk)

    codes_page = client.get(reverse("pcns:recovery-codes")).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.filter(device__user=admin).values_list(
        "token", flat=True))
    assert reverse("pcns:home") in codes_page  # continue to where they were going
    # Shown once only.
    assert client.get(reverse("pcns:recovery-codes"))["Location"] == reverse("pcns:account")
    assert TOTPDevice.objects.get(user=admin).confirmed
    notes = [e.note for e in _audit(tenant_a, actor=admin)]
    assert notes[-3:] == [
        "password accepted; must set up two-factor sign-in",
        "two-factor sign-in set up",
        "password+totp",
    ]


def test_a_wrong_code_while_setting_up_is_shown_next_to_the_field(client, tenant_a):
    _password(client, tenant_a.programme_manager)
    response = client.post(reverse("pcns:two-factor-set-up"), {"code": "000000"})
    body = response.content.decode()
    assert "There is a problem" in body and 'href="#code"' in body
    assert "The code is not right" in body
    assert not _signed_in(client)
    assert not TOTPDevice.objects.filter(user=tenant_a.programme_manager, confirmed=True).exists()


@pytest.mark.parametrize("label", ["tenant_admin", "programme_manager"])
def test_required_roles_cannot_skip_setting_up(client, tenant_a, label):
    _password(client, tenant_a.users[label])
    # Not signed in, and the code page (for people who have an app) is not a way round it.
    assert client.get(reverse("pcns:home"))["Location"].startswith(reverse("pcns:sign-in"))
    assert client.get(reverse("pcns:two-factor"))["Location"] == reverse("pcns:sign-in")
    assert client.get(reverse("pcns:account"))["Location"].startswith(reverse("pcns:sign-in"))
    assert not _signed_in(client)


def test_a_tenant_setting_asks_everyone_for_two_factors(client, tenant_a, tenant_b):
    with tenant_context(tenant_a.tenant.pk):
        Tenant.objects.filter(pk=tenant_a.tenant.pk).update(require_two_factor=True)
    assert _password(client, tenant_a.clinician)["Location"] == reverse("pcns:two-factor-set-up")
    assert not _signed_in(client)
    # Another tenant's clinician is not affected.
    client.post(reverse("pcns:sign-out"))
    assert _password(client, tenant_b.clinician)["Location"] == reverse("pcns:home")


def test_the_tenant_setting_is_editable_in_the_tenant_admin(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    url = reverse("admin:pcns_tenant_change", args=[tenant_a.tenant.pk])
    assert "require_two_factor" in client.get(url).content.decode()


# --- Signing in with a code ---------------------------------------------------------------------


def test_a_person_with_an_app_signs_in_with_its_code(client, tenant_a):
    user = tenant_a.clinician
    give_totp_device(user)
    assert _password(client, user)["Location"] == reverse("pcns:two-factor")
    assert not _signed_in(client)
    page = client.get(reverse("pcns:two-factor"))
    assert "Enter your security code" in page.content.decode()
    response = _code(client, code_for(user))
    assert response["Location"] == reverse("pcns:home")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert [e.note for e in _audit(tenant_a, actor=user, action="sign_in")] == ["password+totp"]


def test_a_wrong_code_is_refused_and_recorded_without_the_code(client, tenant_a):
    user = tenant_a.clinician
    give_totp_device(user)
    _password(client, user)
    right = code_for(user)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = _code(client, wrong)
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not _signed_in(client)
    failures = _audit(tenant_a, actor=user, action="sign_in_failed")
    assert [e.note for e in failures] == ["wrong authenticator code"]
    assert all(wrong not in e.note for e in _audit(tenant_a))
    assert _code(client, right)["Location"] == reverse("pcns:home")


def test_right_after_a_wrong_code_the_page_asks_to_wait_without_counting_it(
    client, tenant_a, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # django-otp's back-off, long enough to see
    user = tenant_a.clinician
    give_totp_device(user)
    _password(client, user)
    _code(client, "000000" if code_for(user) != "000000" else "111111")
    response = _code(client, code_for(user))
    assert "Wait a few seconds" in response.content.decode()
    assert not _signed_in(client)
    assert len(_audit(tenant_a, actor=user, action="sign_in_failed")) == 1


def test_a_recovery_code_signs_in_once_only(client, tenant_a):
    user = tenant_a.clinician
    give_totp_device(user)
    codes = two_factor.regenerate_recovery_codes(user=user)
    _password(client, user)
    assert _code(client, codes[0].upper())["Location"] == reverse("pcns:home")
    assert [e.note for e in _audit(tenant_a, actor=user, action="sign_in")] == [
        "password+recovery code"
    ]
    client.post(reverse("pcns:sign-out"))
    _password(client, user)
    response = _code(client, codes[0])
    assert "The code is not right" in response.content.decode()
    assert not _signed_in(client)
    assert two_factor.recovery_codes_left(user) == 9


def test_too_many_wrong_codes_end_the_half_finished_sign_in(client, tenant_a, settings):
    settings.TWO_FACTOR_MAX_ATTEMPTS = 3
    user = tenant_a.clinician
    give_totp_device(user)
    _password(client, user)
    for _ in range(2):
        assert _code(client, "badcode1").status_code == 200
    response = _code(client, "badcode1")
    assert response["Location"] == reverse("pcns:sign-in")
    assert _code(client, code_for(user))["Location"] == reverse("pcns:sign-in")
    assert not _signed_in(client)


def test_a_half_finished_sign_in_expires(client, tenant_a, settings):
    user = tenant_a.clinician
    give_totp_device(user)
    _password(client, user)
    settings.TWO_FACTOR_PENDING_SECONDS = -1
    response = _code(client, code_for(user))
    assert response["Location"] == reverse("pcns:sign-in")
    assert not _signed_in(client)
    assert "Sign in again" in client.get(reverse("pcns:sign-in")).content.decode()


def test_the_second_page_keeps_where_the_person_was_going(client, tenant_a):
    user = tenant_a.clinician
    give_totp_device(user)
    target = reverse("pcns:team-list")
    _password(client, user, next_url=target)
    assert _code(client, code_for(user))["Location"] == target


# --- The account page ---------------------------------------------------------------------------


def test_anyone_may_turn_two_factor_on_and_off_from_their_account_page(client, tenant_a):
    user = tenant_a.clinician
    client.force_login(user)
    assert "Set up two-factor sign-in" in client.get(reverse("pcns:account")).content.decode()
    page = client.get(reverse("pcns:two-factor-set-up"))
    response = client.post(reverse("pcns:two-factor-set-up"),
                           {"code": code_for_secret(_secret(page))})
    assert response["Location"] == reverse("pcns:recovery-codes")
    assert reverse("pcns:account") in client.get(reverse("pcns:recovery-codes")).content.decode()
    assert two_factor.has_two_factor(user)
    body = client.get(reverse("pcns:account")).content.decode()
    assert "Turn off two-factor sign-in" in body and "10" in body

    response = client.post(reverse("pcns:two-factor-turn-off"))
    assert response["Location"] == reverse("pcns:account")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert [e.note for e in _audit(tenant_a, actor=user, action="sign_in_security")] == [
        "two-factor sign-in set up", "two-factor sign-in turned off",
    ]


def test_a_required_role_cannot_turn_two_factor_off(client, tenant_a):
    admin = tenant_a.tenant_admin
    give_totp_device(admin)
    client.force_login(admin)
    assert "cannot turn it off" in client.get(reverse("pcns:account")).content.decode()
    assert client.post(reverse("pcns:two-factor-turn-off")).status_code == 403
    assert two_factor.has_two_factor(admin)


def test_new_recovery_codes_replace_the_old_ones_and_are_shown_once(client, tenant_a):
    user = tenant_a.clinician
    give_totp_device(user)
    old = set(two_factor.regenerate_recovery_codes(user=user))
    client.force_login(user)
    assert client.post(reverse("pcns:recovery-codes"))["Location"] == reverse(
        "pcns:recovery-codes")
    body = client.get(reverse("pcns:recovery-codes")).content.decode()
    new = set(re.findall(r"<li><code>([a-z2-7]{8})</code></li>", body))
    assert len(new) == 10 and not new & old
    assert set(StaticToken.objects.filter(device__user=user).values_list(
        "token", flat=True)) == new


# --- Administrators -----------------------------------------------------------------------------


def test_a_tenant_administrator_can_reset_a_users_second_factor_in_their_tenant_only(
    client, tenant_a, tenant_b
):
    ours, theirs = tenant_a.clinician, tenant_b.clinician
    give_totp_device(ours)
    give_totp_device(theirs)
    client.force_login(tenant_a.tenant_admin)
    client.post(reverse("admin:pcns_user_changelist"), {
        "action": "reset_two_factor", "_selected_action": [str(ours.pk), str(theirs.pk)],
    })
    assert not two_factor.has_two_factor(ours)
    assert two_factor.has_two_factor(theirs)
    reset = _audit(tenant_a, action="sign_in_security")
    assert [(e.actor_id, e.target_id, e.note) for e in reset] == [
        (tenant_a.tenant_admin.pk, str(ours.pk), "two-factor sign-in reset by an administrator")
    ]
    assert _audit(tenant_b, action="sign_in_security") == []


@pytest.mark.parametrize("model", ["otp_totp_totpdevice", "otp_static_staticdevice"])
def test_nobody_sees_django_otps_own_device_admin(client, tenant_a, model):
    """It would list every tenant's users; the user list's actions are the way in."""
    give_totp_device(tenant_a.clinician)
    client.force_login(tenant_a.tenant_admin)
    assert client.get(reverse(f"admin:{model}_changelist")).status_code == 403
    assert "otp_totp" not in client.get(reverse("admin:index")).content.decode()


def test_the_admin_signs_in_through_the_same_pages_with_two_factors(client, tenant_a):
    admin = tenant_a.tenant_admin
    give_totp_device(admin)
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/login/")
    response = client.get(response["Location"])
    assert response["Location"] == reverse("pcns:sign-in") + "?next=%2Fadmin%2F"
    assert _password(client, admin, next_url="/admin/")["Location"] == reverse("pcns:two-factor")
    assert not _signed_in(client)
    assert _code(client, code_for(admin))["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert [e.note for e in _audit(tenant_a, actor=admin, action="sign_in")] == ["password+totp"]


def test_signing_out_of_the_admin_is_recorded(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    client.get("/admin/")
    assert client.post("/admin/logout/")["Location"] == reverse("pcns:signed-out")
    assert len(_audit(tenant_a, action="sign_out")) == 1


# --- The demo -----------------------------------------------------------------------------------


def _demo_admin_email() -> str:
    return next(person["email"] for spec in demo_data.TENANTS for person in spec["staff"]
                if person["role"] == "tenant_admin")


def test_under_local_settings_demo_accounts_may_skip_the_second_factor(
    client, tenant_a, settings
):
    admin = tenant_a.tenant_admin
    admin.email = _demo_admin_email()
    admin.save(update_fields=["email"])
    settings.TWO_FACTOR_DEMO_SKIP = False
    assert _password(client, admin)["Location"] == reverse("pcns:two-factor-set-up")
    settings.TWO_FACTOR_DEMO_SKIP = True
    assert _password(client, admin)["Location"] == reverse("pcns:home")
    assert [e.note for e in _audit(tenant_a, actor=admin, action="sign_in")] == [
        "password (demo account: second factor skipped)"
    ]


def test_other_accounts_do_not_skip_the_second_factor_under_local_settings(
    client, tenant_a, settings
):
    settings.TWO_FACTOR_DEMO_SKIP = True
    assert _password(client, tenant_a.tenant_admin)["Location"] == reverse(
        "pcns:two-factor-set-up")


def test_tests_run_with_the_demo_skip_off(settings):
    assert settings.TWO_FACTOR_DEMO_SKIP is False


@pytest.mark.parametrize("skip,expected", [
    (True, "demo accounts skip the second factor"),
    (False, "set up an authenticator app the first time they sign in"),
])
def test_the_demo_sign_in_printout_says_whether_demo_accounts_skip_it(
    settings, capsys, skip, expected
):
    settings.TWO_FACTOR_DEMO_SKIP = skip
    call_command("demo_signins")
    assert expected in capsys.readouterr().out


def test_the_password_step_gives_the_pending_sign_in_a_new_session_key(client, tenant_a, settings):
    """A session id planted before sign-in (session fixation) is not the one that goes on to
    hold the pending sign-in, nor the signed-in session after the code."""
    give_totp_device(tenant_a.programme_manager)
    planted = client.session
    planted["planted"] = True
    planted.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key

    _password(client, tenant_a.programme_manager)

    pending_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert pending_key != planted.session_key
    _code(client, code_for(tenant_a.programme_manager))
    assert _signed_in(client)
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in {planted.session_key,
                                                                       pending_key}


def test_a_password_only_session_ends_once_the_place_asks_two_factors_of_everyone(
    client, tenant_a
):
    assert _password(client, tenant_a.clinician)["Location"] == reverse("pcns:home")
    assert client.get(reverse("caseload:home-clinician")).status_code == 200

    with tenant_context(tenant_a.tenant.pk):
        Tenant.objects.filter(pk=tenant_a.tenant.pk).update(require_two_factor=True)
    response = client.get(reverse("caseload:home-clinician"))

    assert response.status_code == 302 and response["Location"] == reverse("pcns:sign-in")
    assert not _signed_in(client)
    assert "now asks you to sign in with two factors" in client.get(
        reverse("pcns:sign-in")).content.decode()
    assert [e.note for e in _audit(tenant_a, action="sign_in_security")] == [
        "signed out: two factors now required"]


def test_a_session_that_began_with_two_factors_carries_on(client, tenant_a):
    give_totp_device(tenant_a.clinician)
    _password(client, tenant_a.clinician)
    _code(client, code_for(tenant_a.clinician))
    with tenant_context(tenant_a.tenant.pk):
        Tenant.objects.filter(pk=tenant_a.tenant.pk).update(require_two_factor=True)
    assert client.get(reverse("caseload:home-clinician")).status_code == 200


def test_a_platform_accounts_sign_in_is_in_the_security_log(client, db, caplog):
    from pcns.models import User

    admin = User.objects.create_superuser("platform@example.test", PASSWORD)
    give_totp_device(admin)
    _password(client, admin)
    with caplog.at_level("WARNING", logger="pcns.security"):
        _code(client, code_for(admin))
    assert _signed_in(client)
    assert f"platform account {admin.pk} signed in (password+totp)" in caplog.text
    assert admin.email not in caplog.text
