"""Limits on the public self-referral form, without a third-party captcha.

- **Per client address**: at most ``SELF_REFERRAL_MAX_PER_ADDRESS`` submissions (any POST, sent
  or not) per ``SELF_REFERRAL_WINDOW_SECONDS``, counted in the cache (Redis) under the address
  the sign-in throttle trusts (pcns.accounts.throttle.client_address). Unlike sign-in, it fails
  closed: if the cache cannot be reached the form is refused (with the other ways to get help),
  since an unlimited public form that writes to the triage queue could flood it.
- **A honeypot**: a field people never see or fill; a form that arrives with it filled is
  refused.
- **A minimum time to submit**: the form carries a signed token of when it was shown; one sent
  back sooner than ``SELF_REFERRAL_MIN_SECONDS`` is refused, one older than
  ``SELF_REFERRAL_MAX_AGE_SECONDS`` (or forged, or for another place) is shown again to send
  again.
- **Sizes**: each field has its limit (config.limits) and the request body Django's.

Nothing here holds what the person typed: the cache key is the address only.
"""

from __future__ import annotations

import logging
import time
from enum import Enum

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest

from pcns.accounts.throttle import client_address

logger = logging.getLogger(__name__)

#: The honeypot field's name: one that form fillers are tempted to complete.
HONEYPOT = "website"
#: The hidden field carrying the signed time the form was shown.
STARTED_FIELD = "started"
_SALT = "referrals.self-referral.started"

UNAVAILABLE_WARNING = (
    "The self-referral form is refusing submissions: the cache (Redis) cannot be reached (%s)."
)


def max_per_address() -> int:
    return settings.SELF_REFERRAL_MAX_PER_ADDRESS


def window_seconds() -> int:
    return settings.SELF_REFERRAL_WINDOW_SECONDS


def min_seconds() -> int:
    return settings.SELF_REFERRAL_MIN_SECONDS


def max_age_seconds() -> int:
    return settings.SELF_REFERRAL_MAX_AGE_SECONDS


class Refusal(Enum):
    """Why a submission was refused before its content was looked at."""

    TOO_MANY = "too_many"
    UNAVAILABLE = "unavailable"
    HONEYPOT = "honeypot"
    TOO_FAST = "too_fast"


def _increment(key: str) -> int:
    """Add one to the address's count, starting a window at its first submission. The key can
    expire between ``add`` and ``incr`` (the window ended): then it starts again."""
    for _ in range(2):
        cache.add(key, 0, window_seconds())
        try:
            return cache.incr(key)
        except ValueError:  # expired just now
            continue
    return cache.incr(key)


def count_submission(request: HttpRequest) -> Refusal | None:
    """Count this submission against its client address; a refusal if it is over the limit or
    the count cannot be kept."""
    key = f"self-referral:address:{client_address(request)}"
    try:
        count = _increment(key)
    except Exception as error:  # any cache failure: refuse, and say so in the log
        logger.warning(UNAVAILABLE_WARNING, type(error).__name__)
        return Refusal.UNAVAILABLE
    return Refusal.TOO_MANY if count > max_per_address() else None


def new_token(tenant_slug: str) -> str:
    """A signed note of when the form was shown, for which place."""
    return signing.dumps({"place": tenant_slug, "at": time.time()}, salt=_SALT)


class TokenProblem(Enum):
    EXPIRED = "expired"  # or missing, forged or for another place: show the form again
    TOO_FAST = "too_fast"


def check_token(value: str, tenant_slug: str) -> TokenProblem | None:
    try:
        data = signing.loads(value or "", salt=_SALT, max_age=max_age_seconds())
    except signing.BadSignature:  # includes SignatureExpired
        return TokenProblem.EXPIRED
    if not isinstance(data, dict) or data.get("place") != tenant_slug:
        return TokenProblem.EXPIRED
    if time.time() - float(data.get("at", 0)) < min_seconds():
        return TokenProblem.TOO_FAST
    return None


def honeypot_filled(request: HttpRequest) -> bool:
    return bool(request.POST.get(HONEYPOT, "").strip())
