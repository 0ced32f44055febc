"""Messages about one onward referral, between the referring team and the partner organisation.

A message is plain text for arranging support ("we tried to call twice, is there a better
time?"): never clinical data, which stays in the care record. Both sides post on the page they
already have (the partner's inbox item, the referrer's onward referral page). Each post is
audited in its transaction and emails the other side once, after commit, through a thin task
(vcse.tasks.notify_onward_message) that names no one. Each showing of the thread is audited by
the page (one audit row per message shown).

Once the onward referral is withdrawn, or its consent has ended, the thread is read-only: the
partner's access has ended, and the referrer can still read what was said.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config import limits
from config.templating import field_error, uk_datetime
from pcns.models import AuditAction, Membership, User
from pcns.services import audit_record
from referrals.services import raise_errors
from vcse import permissions
from vcse.codes import MessageSide, OnwardStatus
from vcse.models import OnwardMessage, OnwardReferral
from vcse.selectors import vcse_leads_of
from vcse.tasks import notify_onward_message

#: Said on both forms, and checked by no machine: people are trusted, and reminded.
NO_CLINICAL_DATA = ("Use this to arrange support. Do not write clinical details (diagnosis, "
                    "medication, risk): they belong in the care record.")


def _today() -> dt.date:
    return timezone.localdate()


def thread_is_open(onward: OnwardReferral, today: dt.date | None = None) -> bool:
    """Messages may be posted while the onward referral is not withdrawn and its consent
    stands (the same test that keeps it in the partner's inbox)."""
    consent = onward.consent
    return (onward.status != OnwardStatus.WITHDRAWN and consent.withdrawn_on is None
            and consent.expires_on >= (today or _today()))


#: Why the form is gone, and what a late post is told.
CLOSED = ("This onward referral has been withdrawn, so no more messages can be sent. "
          "The messages stay here to read.")


# --------------------------------------------------------------------------- write


@transaction.atomic
def onward_message_post(*, onward: OnwardReferral, actor: User, side: MessageSide | str,
                        body: str) -> OnwardMessage:
    """Post a message on the onward referral's thread, from ``side``; the other side is
    emailed once after commit. Refused once the onward referral is withdrawn or its consent
    has ended (read-only then). Pages and the API ask vcse.permissions first."""
    current = (OnwardReferral.objects.select_for_update(of=("self",))
               .select_related("consent").get(pk=onward.pk))
    text = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if side not in MessageSide.values:
        errors["side"] = ["Choose a side."]
    if not thread_is_open(current):
        errors["body"] = [CLOSED]
    elif not text:
        errors["body"] = ["Enter your message."]
    elif len(text) > limits.MESSAGE:
        errors["body"] = [limits.too_long_message("Your message", limits.MESSAGE)]
    elif limits.has_control_characters(text):
        errors["body"] = [limits.CONTROL_MESSAGE.format(label="Your message")]
    raise_errors(errors)
    message = OnwardMessage.objects.create(
        tenant_id=current.tenant_id, onward_referral=current,
        organisation_id=current.organisation_id, side=side, author=actor,
        author_label=(actor.get_full_name() or actor.email)[:200], body=text,
    )
    audit_record(actor=actor, action=AuditAction.CREATE, target=message,
                 note=f"message about onward referral {current.reference}")
    tenant_id, message_id = str(message.tenant_id), str(message.pk)
    transaction.on_commit(
        lambda: notify_onward_message.delay(tenant_id=tenant_id, message_id=message_id))
    return message


def message_claim_notification(*, message_id) -> bool:
    """Claim the right to email about a message, once: a conditional update, so a task run
    twice (a retry, a duplicate delivery) emails one time only. True if this call claimed it."""
    return bool(OnwardMessage.objects.filter(pk=message_id, notified_at__isnull=True)
                .update(notified_at=timezone.now()))


# --------------------------------------------------------------------------- read


def messages_of(onward: OnwardReferral) -> QuerySet[OnwardMessage]:
    """The thread, oldest first (the caller fetched the onward referral through a selector)."""
    return (OnwardMessage.objects.filter(tenant_id=onward.tenant_id, onward_referral=onward)
            .order_by("sent_at", "id"))


def recipients_of(message: OnwardMessage) -> list[str]:
    """Email addresses on the other side, who may open the onward referral now.

    The partner wrote: whoever sent the onward referral, the person's named worker, and anyone
    of the referring side who wrote in the thread. The referring side wrote: whoever answered
    the onward referral, the partner's VCSE leads, and anyone of the partner who wrote in the
    thread. Never the author."""
    onward = message.onward_referral
    earlier = set(messages_of(onward).exclude(side=message.side)
                  .values_list("author_id", flat=True))
    if message.side == MessageSide.PARTNER:
        users = {onward.sent_by_id, *earlier}
        who = Q(pk=onward.referral.worker_id) if onward.referral.worker_id else Q()
        may = permissions.can_view_onward_referral
    else:
        users = {onward.responded_by_id, *earlier}
        who = Q(pk__in=[lead.pk for lead in vcse_leads_of(onward.organisation)])
        may = permissions.can_answer_onward_referral
    users.discard(None)
    members = (Membership.objects.filter(tenant_id=onward.tenant_id, is_active=True,
                                         user__is_active=True)
               .filter(Q(user_id__in=users) | who).exclude(user_id=message.author_id)
               .select_related("user").order_by("user__email"))
    return [m.user.email for m in members if may(m.user, onward)]


def thread_rows(messages, *, viewer_side: MessageSide | str) -> list[dict]:
    """What the thread shows: who (and which side), when, and the text."""
    return [
        {
            "by": m.author_label,
            "side": MessageSide(m.side).label,
            "mine": m.side == viewer_side,
            "at": uk_datetime(m.sent_at),
            "paragraphs": [line for line in m.body.splitlines() if line.strip()],
        }
        for m in messages
    ]


def thread_context(onward: OnwardReferral, messages, *, side: MessageSide | str, post_url: str,
                   form=None) -> dict:
    """What the thread partial shows on either side's page: the messages, and the form while
    the thread is open."""
    other = (onward.organisation.name if side == MessageSide.REFERRER
             else "the referring team")
    return {
        "rows": thread_rows(messages, viewer_side=side),
        "open": thread_is_open(onward),
        "closed": CLOSED,
        "post_url": post_url,
        "label": f"Send a message to {other}",
        "hint": f"{NO_CLINICAL_DATA} Up to {limits.MESSAGE:,} characters. They are emailed a "
                "link, not the message.",
        "limit": limits.MESSAGE,
        "value": (form["body"].value() or "") if form is not None and form.is_bound else "",
        "error": field_error(form, "body") if form is not None else None,
    }
