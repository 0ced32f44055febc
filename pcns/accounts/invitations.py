"""Invitations: a tenant administrator invites a member of staff, who sets their own password.

Administrators never choose or see a password. An invitation is a random token emailed to the
person; only its SHA-256 hash is stored (``Invitation.token_hash``), so a copy of the database
cannot be used to accept one. A link works once, for ``INVITATION_VALID_DAYS`` days, and a new
invitation ends the person's earlier ones.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import smtplib
import uuid

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pcns.models import AuditAction, Invitation, Membership, User
from pcns.services import audit_record
from pcns.tenancy import require_tenant_id, tenant_context

logger = logging.getLogger(__name__)

#: Shown wherever an email address belongs to an account this place may not use (another
#: place's member of staff, or a platform account). It must not say why or where.
EMAIL_UNAVAILABLE = (
    "This email address cannot be used. Ask the person for another work email address, "
    "or contact support."
)


REFUSALS = {
    "not_valid": (
        "This invitation link is not valid. Check that you copied the whole link from the "
        "email, or ask your service administrator to send you a new invitation."
    ),
    "used": (
        "This invitation link has already been used. If you set your password, sign in. If "
        "you have forgotten it, use \u201cForgotten your password?\u201d on the sign-in page."
    ),
    "expired": (
        "This invitation link has expired. Ask your service administrator to send you a new "
        "invitation."
    ),
    "replaced": (
        "A newer invitation has been sent to you, so this link no longer works. Use the link "
        "in the most recent email."
    ),
}


class NotInvitable(Exception):
    """The person is not an active member of staff of the current tenant."""


class InvitationRefused(Exception):
    """An invitation link that cannot be used; ``message`` tells the person what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = REFUSALS[reason]
        self.status = 404 if reason == "not_valid" else 410


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_for() -> dt.timedelta:
    return dt.timedelta(days=settings.INVITATION_VALID_DAYS)


def invitation_send(*, user: User, actor: User) -> Invitation:
    """Invite ``user``, a member of staff of the current tenant, to set their password.

    Ends the user's earlier invitations, stores the new token's hash, audits, and emails the
    link once the transaction commits. Refuses someone who is not an active member here (row-level
    security hides other tenants' memberships, so another place's staff look the same as no one).
    """
    tenant_id = require_tenant_id()
    with transaction.atomic():
        # Locked, so two administrators inviting one person at once leave one link working.
        membership = (Membership.objects.select_for_update(of=("self",)).select_related("tenant")
                      .filter(user_id=user.pk, tenant_id=tenant_id).first())
        if membership is None or not membership.is_active or not user.is_active:
            raise NotInvitable("Only active staff of this place can be invited.")
        now = timezone.now()
        Invitation.objects.filter(
            user_id=user.pk, accepted_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            tenant_id=tenant_id, user=user, token_hash=token_hash(token), created_by=actor,
            created_at=now, expires_at=now + valid_for(),
        )
        audit_record(actor=actor, action=AuditAction.INVITE, target=user)
        place = membership.tenant.name
        transaction.on_commit(lambda: _email_invitation(
            email=user.email, token=token, place=place, expires_at=invitation.expires_at))
    return invitation


def _email_invitation(*, email: str, token: str, place: str, expires_at: dt.datetime) -> None:
    link = settings.SITE_URL + reverse("pcns:invitation-open", args=[token])
    until = date_format(timezone.localtime(expires_at), "j F Y, H:i")
    try:
        _send_invitation(email=email, link=link, place=place, until=until)
    except (smtplib.SMTPException, OSError) as error:
        # The invitation is saved and audited; the administrator can send it again. The mail
        # relay being down must not turn their save into a server error.
        logger.error("An invitation email could not be sent (%s): send the invitation again "
                     "from the staff list once the mail relay works.", type(error).__name__)


def _send_invitation(*, email: str, link: str, place: str, until: str) -> None:
    send_mail(
        subject="Set your password for Community mental health",
        message=(
            f"You have been given an account for Community mental health ({place}).\n\n"
            f"Open this link to set your password:\n\n{link}\n\n"
            f"The link works once, until {until}. If it has expired, ask your service "
            "administrator to send a new invitation.\n\n"
            "If you were not expecting this email, you can ignore it.\n"
        ),
        from_email=None,
        recipient_list=[email],
    )


def _tenant_for_digest(digest: str) -> uuid.UUID | None:
    """The tenant of the invitation whose token has this hash, asked through a narrow SECURITY
    DEFINER function: the invited person has no tenant context yet, and row-level security
    hides every invitation until they do."""
    if not digest or len(digest) != 64:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_invitation_tenant_id(%s)", [digest])
        row = cursor.fetchone()
    return row[0] if row else None


def invitation_for_token(*, token: str) -> Invitation:
    """The invitation this token opens, with its user, or InvitationRefused saying why not."""
    if not token or len(token) > 100:
        raise InvitationRefused("not_valid")
    return invitation_for_digest(digest=token_hash(token))


def invitation_for_digest(*, digest: str) -> Invitation:
    """The invitation whose token has this hash (what the session keeps between the link and
    the password form, so no usable token is stored anywhere)."""
    tenant_id = _tenant_for_digest(digest)
    if tenant_id is None:
        raise InvitationRefused("not_valid")
    with tenant_context(tenant_id):
        invitation = (Invitation.objects.select_related("user")
                      .filter(token_hash=digest).first())
        if invitation is None:
            raise InvitationRefused("not_valid")
        _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise InvitationRefused("used")
    if invitation.replaced_at is not None:
        raise InvitationRefused("replaced")
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused("expired")
    active = Membership.objects.filter(
        user_id=invitation.user_id, tenant_id=invitation.tenant_id, is_active=True
    ).exists()
    if not (active and invitation.user.is_active):
        raise InvitationRefused("not_valid")


def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Set the invited person's password and use up the invitation, once.

    The password must pass the configured validators (``AUTH_PASSWORD_VALIDATORS``). The row is
    locked and checked again, so two tabs submitting the same link cannot both succeed.
    """
    user = invitation.user
    with tenant_context(invitation.tenant_id, user_id=user.pk), transaction.atomic():
        locked = (Invitation.objects.select_for_update().select_related("user")
                  .get(pk=invitation.pk))
        _check_usable(locked)
        password_validation.validate_password(password, user)
        now = timezone.now()
        locked.accepted_at = now
        locked.save(update_fields=["accepted_at"])
        # A person has one password: any other link still pending for them ends too.
        Invitation.objects.filter(
            user_id=user.pk, accepted_at__isnull=True, replaced_at__isnull=True
        ).update(replaced_at=now)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=user, action=AuditAction.PASSWORD_SET, target=user,
                     note="from an invitation")
    password_validation.password_changed(password, user)
    return user
