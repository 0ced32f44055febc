"""Two-factor sign-in: an authenticator app (TOTP, django-otp) and one-time recovery codes.

After the first factor (a password now; single sign-on or an invitation later) every route calls
``begin_second_factor``. It either finishes the sign-in at once (no second factor needed), or
keeps only the pending user in the session (for ``TWO_FACTOR_PENDING_SECONDS`` and
``TWO_FACTOR_MAX_ATTEMPTS`` wrong codes) and sends them to the page that asks for a code, or to
the page that sets up an authenticator app. No signed-in session exists until
``services.complete_sign_in`` runs, after the second factor.

Who must use it: tenant administrators, programme managers and platform superusers always, and
everyone in a tenant whose ``require_two_factor`` is on. Anyone else may turn it on for
themselves. Under local settings only (``TWO_FACTOR_DEMO_SKIP``), the demo accounts may skip it.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcns.accounts import services, throttle
from pcns.models import AuditAction, Membership, Role, User
from pcns.services import audit_record
from pcns.tenancy import membership_for, tenant_context

logger = logging.getLogger(__name__)

PENDING_KEY = "two_factor_pending"
NEW_CODES_KEY = "two_factor_new_recovery_codes"
SETUP_DEVICE_KEY = "two_factor_setup_device"

#: Roles that must always sign in with two factors.
REQUIRED_ROLES = frozenset({Role.TENANT_ADMIN, Role.PROGRAMME_MANAGER})

TOTP_PATTERN = re.compile(r"^\d{6}$")


# --- Who needs what ----------------------------------------------------------------------------


def membership_of(user: User) -> Membership | None:
    """The user's active membership, read without changing the request's tenant context."""
    with tenant_context(None, user_id=user.pk):
        return membership_for(user)


def is_required(user: User, membership: Membership | None) -> bool:
    """Whether ``user`` must sign in with two factors (so cannot turn it off)."""
    if user.is_superuser:
        return True
    if membership is None:
        return False
    return membership.role in REQUIRED_ROLES or membership.tenant.require_two_factor


def is_demo_account(user: User) -> bool:
    from pcns import demo_data

    return any(
        person["email"].lower() == user.email.lower()
        for spec in demo_data.TENANTS for person in spec["staff"]
    )


def demo_may_skip(user: User) -> bool:
    """Local settings only: a demo account may sign in without the second factor."""
    return settings.TWO_FACTOR_DEMO_SKIP and is_demo_account(user)


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at").first()


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- Audit -------------------------------------------------------------------------------------


def audit_for(user: User, *, action: str, note: str, actor: User | None = None) -> None:
    """Record a step of ``user``'s sign-in security in their tenant's audit log.

    Before sign-in there is no tenant context; this reads the user's own membership to find it.
    Users with no tenant (platform superusers) have no tenant audit log.
    """
    with tenant_context(None, user_id=user.pk):
        if membership_for(user) is None:
            return
        with transaction.atomic():
            audit_record(actor=actor or user, action=action, target=user, note=note)


# --- The pending sign-in -----------------------------------------------------------------------


@dataclass
class Pending:
    user: User
    method: str
    next_url: str
    attempts: int


def begin_second_factor(
    request: HttpRequest, *, user: User, method: str, next_url: str = ""
) -> HttpResponse:
    """Hand over after the first factor (``method``: "password", "oidc", ...).

    Returns the response to send: the page asking for a code, the page setting up an
    authenticator app (when two factors are required and the user has none), or, when no
    second factor applies, the finished sign-in. ``next_url`` must already be checked as safe.
    """
    request.session.pop(PENDING_KEY, None)
    if has_two_factor(user):
        stage = "verify"
    elif is_required(user, membership_of(user)):
        if demo_may_skip(user):
            return finish_sign_in(
                request, user=user, method=f"{method} (demo account: second factor skipped)",
                next_url=next_url, two_factors=True,  # local settings only
            )
        stage = "set-up"
    else:
        return finish_sign_in(request, user=user, method=method, next_url=next_url,
                              two_factors=False)
    # A new session key for the pending sign-in: a session id planted before the password
    # step (session fixation) must not be the one that later holds the signed-in user.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user_id": str(user.pk), "method": method, "next": next_url, "stage": stage,
        "started": time.time(), "attempts": 0,
    }
    if stage == "verify":
        return redirect("pcns:two-factor")
    audit_for(user, action=AuditAction.SIGN_IN_SECURITY,
              note=f"{method} accepted; must set up two-factor sign-in")
    return redirect("pcns:two-factor-set-up")


def pending(request: HttpRequest, stage: str) -> Pending | None:
    """The user part-way through signing in at ``stage``, unless it has expired."""
    data = request.session.get(PENDING_KEY)
    if not data or data.get("stage") != stage:
        return None
    if time.time() - data["started"] > settings.TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(user=user, method=data["method"], next_url=data["next"],
                   attempts=data["attempts"])


def count_wrong_code(request: HttpRequest, item: Pending, *, kind: str) -> bool:
    """Record a wrong code (audited, counted against the account); return True if the pending
    sign-in is now over (too many wrong codes, or the account is locked)."""
    locked_now = throttle.record_failure(
        user_id=item.user.pk, address=throttle.client_address(request)
    )
    note = f"wrong {kind}" + ("; account locked" if locked_now else "")
    audit_for(item.user, action=AuditAction.SIGN_IN_FAILED, note=note)
    data = request.session[PENDING_KEY]
    data["attempts"] += 1
    request.session.modified = True
    if locked_now or data["attempts"] >= settings.TWO_FACTOR_MAX_ATTEMPTS:
        request.session.pop(PENDING_KEY, None)
        return True
    return False


def abandon(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(SETUP_DEVICE_KEY, None)


def finish_sign_in(
    request: HttpRequest, *, user: User, method: str, next_url: str = "", two_factors: bool
) -> HttpResponse:
    """Every factor is checked: start the session and go on."""
    abandon(request)
    services.complete_sign_in(request, user=user, method=method, two_factors=two_factors)
    throttle.clear_account(user_id=user.pk)
    return redirect(next_url or "pcns:home")


# --- Checking a code ---------------------------------------------------------------------------


def normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def verify_code(user: User, code: str) -> str | None:
    """The kind of code ``code`` is ("totp" or "recovery code") if it is right, else None.

    A recovery code works once: django-otp deletes it as it matches.
    """
    code = normalise(code)
    if TOTP_PATTERN.match(code):
        device = confirmed_device(user)
        return "totp" if device is not None and device.verify_token(code) else None
    for device in StaticDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return "recovery code"
    return None


def must_wait(user: User) -> bool:
    """django-otp's own back-off after a wrong code (1, 2, 4 ... seconds) is still running."""
    devices = [*TOTPDevice.objects.filter(user=user, confirmed=True),
               *StaticDevice.objects.filter(user=user, confirmed=True)]
    return any(not device.verify_is_allowed()[0] for device in devices)


def code_kind(code: str) -> str:
    return "authenticator code" if TOTP_PATTERN.match(normalise(code)) else "recovery code"


# --- Setting up --------------------------------------------------------------------------------


def setup_device(request: HttpRequest, user: User) -> TOTPDevice:
    """The unconfirmed device being set up in this session (made on first use)."""
    device_id = request.session.get(SETUP_DEVICE_KEY)
    device = None
    if device_id:
        device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[SETUP_DEVICE_KEY] = device.pk
    return device


def secret_text(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The app's set-up link as an inline SVG QR code (no image request, nothing external)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#212b32", light="#ffffff", omitsize=False,
    )
    # segno builds the markup itself from the QR matrix; nothing user-supplied is in it.
    return mark_safe(svg)  # noqa: S308


def confirm_device(*, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device being set up with a code from it; return new recovery codes, or None
    if the code is wrong. Any earlier devices of the user are replaced; audited."""
    if not TOTP_PATTERN.match(normalise(code)) or not device.verify_token(normalise(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_for(user, action=AuditAction.SIGN_IN_SECURITY, note="two-factor sign-in set up")
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def regenerate_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working); audited."""
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_for(user, action=AuditAction.SIGN_IN_SECURITY, note="new recovery codes made")
    return codes


def turn_off(*, user: User, actor: User, note: str) -> None:
    """Remove the user's authenticator app and recovery codes; audited (by ``actor``)."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_for(user, action=AuditAction.SIGN_IN_SECURITY, note=note, actor=actor)


def show_codes_once(request: HttpRequest, codes: list[str], next_url: str) -> None:
    """Keep new recovery codes in the session until the next page shows them, once."""
    request.session[NEW_CODES_KEY] = {"codes": codes, "next": next_url}


def codes_to_show(request: HttpRequest) -> dict | None:
    return request.session.pop(NEW_CODES_KEY, None)


def lift_lockout(*, user: User, actor: User) -> None:
    """An administrator lifts the sign-in lockout of a user of their own tenant; audited."""
    throttle.clear_account(user_id=user.pk)
    audit_for(user, action=AuditAction.SIGN_IN_SECURITY, note="sign-in lockout lifted",
              actor=actor)
