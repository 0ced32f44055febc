"""Hooks through which later apps act on referrals, since referrals imports none of them.

``referral_received`` is the domain event of intake: referrals.services sends it (sender:
``Referral``; arguments ``referral`` and ``actor``) inside the transaction that saves a new
referral, from every door that goes through ``referral_intake`` (the form, the API, the demo's
intake, and any later door built on it). Receivers run in that transaction, so what they write
commits or rolls back with the referral; side effects (email) must go through
``transaction.on_commit``. A Django signal rather than a call because caseload, which raises
the safety alerts (caseload.alerts), sits above referrals and connects itself in its
AppConfig.ready. The dataset import does not send it: it loads historic records in bulk.

``queue_annotations`` are expressions later apps add to the triage queue's one query, by name,
so each row can carry what they know of the referral at no extra query per row (caseload adds
``open_alerts``: whether the referral has a risk alert nobody has acknowledged yet).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

referral_received = Signal()

#: Sent, like ``referral_received`` and with the same arguments, when what was entered at
#: intake is corrected (referrals.corrections.referral_amend): a referral corrected to
#: emergency, or to self-harm among its needs, must raise the alert it would have raised at
#: intake. Receivers must be idempotent (each alert rule fires once per referral).
referral_corrected = Signal()

#: name -> a function returning the expression to annotate each queue row with.
queue_annotations: dict[str, Callable[[], Any]] = {}
