"""Counting failed sign-ins, per account and per client address, in the cache (Redis).

- Per account: failures are counted by user id for emails of real users, so nobody can lock a
  real account by typing made-up emails, and ``SIGN_IN_MAX_FAILURES`` of them lock that account
  only. A made-up email is counted under a hash of itself (``unknown_email_id``) and locked the
  same way, so the answers never tell which emails have accounts.
- Per client address: a much higher limit (``SIGN_IN_MAX_FAILURES_PER_ADDRESS``), so a whole
  office behind one NAT is not shut out by a few typos, while one address cannot try passwords
  against every account.
- Each count starts at the first failure and expires ``SIGN_IN_FAILURE_WINDOW_SECONDS`` later,
  lifting the lockout with it; a tenant administrator can lift an account's lockout sooner.
- The client address comes from ``TRUSTED_PROXY_HOPS`` (see ``client_address``).
- If the cache cannot be reached, the throttle fails open: sign-in carries on without counting,
  and a warning says so in the log (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

FAIL_OPEN_WARNING = (
    "Sign-in throttling is off for this request: the cache (Redis) cannot be reached (%s). "
    "Sign-in carries on without counting failures."
)


def client_address(request: HttpRequest) -> str:
    """The address of the client, trusting ``TRUSTED_PROXY_HOPS`` proxies in front of us.

    With 0 hops it is ``REMOTE_ADDR``. With n hops it is the nth address from the right of
    ``X-Forwarded-For``: each trusted proxy appends the address it was called from, so entries
    further left were written by the client and cannot be trusted. If the header holds fewer
    addresses than that, the proxies are not set up as configured and ``REMOTE_ADDR`` is used.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops][:100]


def unknown_email_id(email: str) -> str:
    """What a made-up email's failures are counted under (a hash: no email in the cache)."""
    return "unknown-" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _account_key(user_id) -> str:
    return f"sign-in-failures:account:{user_id}"


def _address_key(address: str) -> str:
    return f"sign-in-failures:address:{address}"


@dataclass(frozen=True)
class Lockout:
    """Why sign-in is refused: ``"account"`` or ``"address"``."""

    scope: str


def lockout(*, user_id, address: str) -> Lockout | None:
    """The lockout that applies to this account (None for unknown emails) and address."""
    keys = {_address_key(address): "address"}
    if user_id is not None:
        keys[_account_key(user_id)] = "account"
    try:
        counts = cache.get_many(list(keys))
    except Exception as error:  # any cache failure: fail open, and say so
        logger.warning(FAIL_OPEN_WARNING, type(error).__name__)
        return None
    if counts.get(_account_key(user_id), 0) >= settings.SIGN_IN_MAX_FAILURES:
        return Lockout("account")
    if counts.get(_address_key(address), 0) >= settings.SIGN_IN_MAX_FAILURES_PER_ADDRESS:
        return Lockout("address")
    return None


def record_failure(*, user_id, address: str) -> bool:
    """Count a failed attempt; return True if it has just locked the account."""
    window = settings.SIGN_IN_FAILURE_WINDOW_SECONDS
    keys = [_address_key(address)] + ([_account_key(user_id)] if user_id is not None else [])
    try:
        counts = {}
        for key in keys:
            cache.add(key, 0, window)  # starts the window at the first failure only
            counts[key] = cache.incr(key)
    except Exception as error:
        logger.warning(FAIL_OPEN_WARNING, type(error).__name__)
        return False
    return user_id is not None and counts[_account_key(user_id)] == settings.SIGN_IN_MAX_FAILURES


def clear_account(*, user_id) -> None:
    """Forget an account's failures (after it signs in, or when an administrator lifts it)."""
    try:
        cache.delete(_account_key(user_id))
    except Exception as error:
        logger.warning(FAIL_OPEN_WARNING, type(error).__name__)


def account_locked(*, user_id) -> bool:
    """Whether the account is locked now (for the admin's list and the lift action)."""
    try:
        return (cache.get(_account_key(user_id)) or 0) >= settings.SIGN_IN_MAX_FAILURES
    except Exception as error:
        logger.warning(FAIL_OPEN_WARNING, type(error).__name__)
        return False


def message() -> str:
    minutes = max(1, settings.SIGN_IN_FAILURE_WINDOW_SECONDS // 60)
    return (
        f"Too many failed attempts to sign in. Wait {minutes} minutes and try again, or ask "
        "your service administrator to lift the lockout."
    )
