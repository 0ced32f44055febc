"""Authenticator app codes for tests: a confirmed device for a user, and the code it shows."""

from __future__ import annotations

import base64
import time

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from pcns.accounts import two_factor
from pcns.models import User


def give_totp_device(user: User) -> TOTPDevice:
    """A confirmed authenticator app for ``user`` (as if they had set it up)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _code(key: bytes, *, step: int = 30, t0: int = 0, digits: int = 6, last_t: int = -1) -> str:
    """The code an app shows now, or for the next step if this step's code was used (django-otp
    refuses a code twice, and accepts one step ahead)."""
    now_t = int((time.time() - t0) // step)
    drift = max(0, last_t + 1 - now_t)
    return f"{totp(key, step, t0, digits, drift):0{digits}d}"


def code_for(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return _code(device.bin_key, step=device.step, t0=device.t0, digits=device.digits,
                 last_t=device.last_t)


def code_for_secret(secret: str) -> str:
    """The code for a key as the set-up page shows it (base32 in groups of four)."""
    compact = secret.replace(" ", "")
    return _code(base64.b32decode(compact + "=" * (-len(compact) % 8)))


def ready_for_sign_in(user: User) -> None:
    """Give a user whose role needs two factors an authenticator app, so a test can sign in."""
    if two_factor.is_required(user, two_factor.membership_of(user)) and \
            not two_factor.has_two_factor(user):
        give_totp_device(user)
