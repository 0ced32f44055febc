"""Password reset by email, for anyone with an account and a password.

The request page answers the same whatever the address, so it cannot be used to learn who has
an account; requests are limited per address (``RESET_EMAILS_PER_ADDRESS`` in each
``PASSWORD_RESET_TIMEOUT``). Links are Django's password reset tokens: they expire after
``PASSWORD_RESET_TIMEOUT`` seconds and stop working once the password changes or the person
signs in. Changing the password ends the person's other sessions (Django checks a hash of the
password on every request). Both the request and the change are audited, with no secrets.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from pcns.models import AuditAction, Membership, User
from pcns.services import audit_record
from pcns.tenancy import tenant_context

logger = logging.getLogger(__name__)

#: How many reset emails one address may be sent in each PASSWORD_RESET_TIMEOUT.
RESET_EMAILS_PER_ADDRESS = 3


def reset_link_lifetime() -> str:
    """PASSWORD_RESET_TIMEOUT in words, for the email and the pages."""
    seconds = settings.PASSWORD_RESET_TIMEOUT
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "1 hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _within_limit(email: str) -> bool:
    """Count a request for ``email``; False once the address has had its share. The key is a
    hash, so the cache holds no addresses. If the cache is down, allow and say so in the log."""
    key = "password-reset:" + hashlib.sha256(email.lower().encode()).hexdigest()
    try:
        cache.add(key, 0, settings.PASSWORD_RESET_TIMEOUT)
        count = cache.incr(key)
    except Exception:  # the cache (Redis) is unavailable: resetting a password matters more
        logger.warning("password reset limit not checked: the cache is unavailable")
        return True
    return count <= RESET_EMAILS_PER_ADDRESS


def _audit_in_own_tenant(user: User, **audit) -> None:
    """Write an audit row in the user's own tenant (none for platform accounts, which have no
    tenant and no audit log)."""
    with tenant_context(None, user_id=user.pk):
        tenant_id = (Membership.objects.filter(user_id=user.pk)
                     .values_list("tenant_id", flat=True).first())
    if tenant_id is None:
        logger.info("password event for an account without a tenant: %s", audit["action"])
        return
    with tenant_context(tenant_id, user_id=user.pk), transaction.atomic():
        audit_record(target=user, **audit)


def password_reset_request(*, email: str) -> int:
    """Email a reset link to each active account with this address and a password.

    Returns how many emails were sent, for tests only: callers must answer the same whatever
    it returns. Accounts without a password (invited but not yet accepted, or single sign-on
    only) get nothing: an administrator sends them an invitation instead.
    """
    if not _within_limit(email):
        logger.info("password reset refused: too many requests for one address")
        return 0
    sent = 0
    for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
        if not user.has_usable_password():
            continue
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = settings.SITE_URL + reverse("pcns:password-reset-confirm", args=[uid, token])
        _audit_in_own_tenant(user, actor=None, actor_label="Password reset page",
                             action=AuditAction.RESET_REQUESTED)
        try:
            _email_reset_link(email=user.email, link=link)
        except OSError as error:  # SMTP down: the page answers as for any other address
            # The error's text can hold the address: log its kind only.
            logger.error("password reset email could not be sent: %s", type(error).__name__)
            continue
        sent += 1
    return sent


def _email_reset_link(*, email: str, link: str) -> None:
    send_mail(
        subject="Reset your password for Community mental health",
        message=(
            "Someone asked to reset the password of your Community mental health account.\n\n"
            f"Open this link to set a new password:\n\n{link}\n\n"
            f"The link works once, within {reset_link_lifetime()}.\n\n"
            "If you did not ask for this, you can ignore this email: your password has not "
            "changed.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )


def password_reset_complete(*, user: User, password: str) -> User:
    """Set the new password chosen through a reset link (the caller has checked the token).

    The password must pass the configured validators. Setting it changes the session hash, so
    every other session of this user ends on its next request.
    """
    password_validation.validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        _audit_in_own_tenant(user, actor=user, action=AuditAction.PASSWORD_SET,
                             note="from a password reset email")
    password_validation.password_changed(password, user)
    return user
