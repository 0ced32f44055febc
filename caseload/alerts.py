"""Safety alerts: answers that signal risk raise a risk concern by themselves.

One table (``RULES``) says what raises an alert: which record, which answer, above which
threshold, and the words the alert says. One evaluator (``rules_met``) applies the table and one
service (``alerts_raise``) raises what it finds; no other code asks whether an answer is risky.

An alert *is* a RiskConcern raised by the system: it has a ``rule`` and a ``source_id`` (the
outcome measure or referral that met the rule) and no ``raised_by``. It shows wherever open
concerns show (the care record's banner, My caseload, Team caseload, the triage queue, the
leads' risk concerns page) until a lead acknowledges it with what they did
(caseload.services.risk_concern_acknowledge, the same as a worker's concern).

Raising is idempotent: each rule fires once per source record (a unique constraint backs it),
and the team's leads get one email per raising (caseload.tasks.notify_alerts), which names the
team only.

Where alerts are raised:

- recording an outcome measure: caseload.services.outcome_record calls ``alerts_raise`` in its
  transaction;
- receiving a referral through referrals.services.referral_intake (the form, the API, the demo
  intake, and later doors that use it): referrals may not import caseload, so it sends
  referrals.hooks.referral_received inside its transaction, and caseload.apps connects
  ``on_referral_received`` to it. The referral and its alerts are saved together or not at all.
- not the dataset import nor the synthetic generator: they load historic records in bulk,
  without the services. Those referrals were dealt with in the system they came from, and
  alerting on last year's answers would bury today's, so they raise nothing and email no one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from caseload import selectors
from caseload.codes import TOOLS, OutcomeTool
from caseload.models import OutcomeMeasure, RiskConcern
from caseload.tasks import notify_alerts
from config.templating import uk_date
from pcns.models import AuditAction, User
from pcns.services import audit_record
from referrals.codes import PresentingNeed, Urgency
from referrals.models import Referral
from referrals.services import append_event
from referrals.states import EventKind

#: The kinds of record a rule reads.
MEASURE = "outcome_measure"
REFERRAL = "referral"

#: Who the audit log says raised an alert (the timeline says "system", as for any job).
SYSTEM_LABEL = "Safety alerts"


@dataclass(frozen=True)
class AlertRule:
    """One row of the table. A rule on an outcome measure reads one item of one questionnaire
    (``item`` by the questionnaire's own numbering) and fires when its score is above
    ``above``; a rule on a referral fires when it has any of ``needs`` or any of ``urgencies``.
    ``wording`` is what the alert says; it may use {score}, {date}, {needs} and {item_label}.
    """

    code: str
    source: str
    wording: str
    tool: str = ""
    item: int = 0
    above: int = 0
    needs: frozenset[str] = frozenset()
    urgencies: frozenset[str] = frozenset()

    def text(self, record: Any) -> str | None:
        """What the alert says if ``record`` meets the rule, else None."""
        if self.source == MEASURE:
            if record.tool != self.tool or len(record.items) < self.item:
                return None
            score = record.items[self.item - 1]
            if score <= self.above:
                return None
            return self.wording.format(score=score, date=uk_date(record.completed_on),
                                       item_label=TOOLS[self.tool].items[self.item - 1])
        found = [PresentingNeed(need).label.lower() for need in sorted(self.needs)
                 if need in record.presenting_needs]
        if not found and record.urgency not in self.urgencies:
            return None
        return self.wording.format(needs=" and ".join(found), date=uk_date(record.received_on))


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "phq9_item9", MEASURE, tool=OutcomeTool.PHQ9.value, item=9, above=0,
        wording=("PHQ-9 item 9 (thoughts that they would be better off dead, or of hurting "
                 "themselves) was scored {score} on {date}. Review the person's risk today."),
    ),
    AlertRule(
        "core10_item6", MEASURE, tool=OutcomeTool.CORE10.value, item=6, above=0,
        wording=("CORE-10 item 6 (\"I made plans to end my life\") was scored {score} on "
                 "{date}. Review the person's risk today."),
    ),
    AlertRule(
        "referral_self_harm_or_suicide", REFERRAL,
        needs=frozenset({PresentingNeed.SELF_HARM.value,
                         PresentingNeed.SUICIDAL_THOUGHTS.value}),
        wording=("Referred with {needs} (received {date}). Read the referral for risk and "
                 "triage it today."),
    ),
    AlertRule(
        "emergency_referral", REFERRAL, urgencies=frozenset({Urgency.EMERGENCY.value}),
        wording="Emergency referral received {date}. Triage it now.",
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}

#: For each questionnaire with a risk item, that item by 0-based index (the outcome pages use
#: it to point at the answer).
RISK_ITEMS: dict[str, int] = {rule.tool: rule.item - 1 for rule in RULES if rule.source == MEASURE}


def _source(record: OutcomeMeasure | Referral) -> str:
    return MEASURE if isinstance(record, OutcomeMeasure) else REFERRAL


def rules_met(record: OutcomeMeasure | Referral) -> list[tuple[AlertRule, str]]:
    """The rules ``record`` meets, each with what its alert says."""
    source = _source(record)
    return [(rule, text) for rule in RULES
            if rule.source == source and (text := rule.text(record)) is not None]


def alerts_raise(*, record: OutcomeMeasure | Referral, referral: Referral) -> list[RiskConcern]:
    """Raise the alerts ``record`` (an outcome measure of ``referral``, or ``referral`` itself)
    meets, each once: a rule that already fired for this record raises nothing again. Returns
    the alerts raised now.

    Runs in the caller's transaction, which has saved the record and holds the referral (a new
    referral, or one locked to record care). Each alert appends its event and audit row; the
    team's leads are emailed once, after commit, with ids only in the task.
    """
    raised: list[RiskConcern] = []
    for rule, text in rules_met(record):
        concern, created = RiskConcern.objects.get_or_create(
            tenant_id=referral.tenant_id, rule=rule.code, source_id=record.pk,
            defaults={"referral": referral, "concern": text, "raised_by": None},
        )
        if not created:
            continue
        append_event(referral, actor=None, kind=EventKind.RISK_CONCERN_RAISED,
                     from_status=referral.status, on=timezone.localdate(),
                     details={"concern": str(concern.pk), "rule": rule.code})
        audit_record(actor=None, action=AuditAction.CREATE, target=concern,
                     actor_label=SYSTEM_LABEL, note=rule.code)
        raised.append(concern)
    if raised:
        tenant_id = str(referral.tenant_id)
        concern_ids = [str(concern.pk) for concern in raised]
        transaction.on_commit(
            lambda: notify_alerts.delay(tenant_id=tenant_id, concern_ids=concern_ids)
        )
    return raised


def on_referral_received(sender, *, referral: Referral, actor: User | None, **kwargs) -> None:
    """The receiver of referrals.hooks.referral_received and referral_corrected (connected in
    caseload.apps)."""
    alerts_raise(record=referral, referral=referral)


# --------------------------------------------------------------------------- reads


def open_alerts_for_user(user: User) -> QuerySet[RiskConcern]:
    """Risk concerns nobody has acknowledged yet, system alerts and workers' concerns alike, on
    the referrals the user may see (a lead: their teams'), newest first. For the lead's home
    and anything else that lists or counts what is waiting for a lead."""
    return (selectors.risk_concerns_for_user(user).filter(RiskConcern.open_q())
            .order_by("-raised_at", "id"))


def open_alert_count(user: User) -> int:
    return open_alerts_for_user(user).count()


def open_alerts_of(referral: Referral) -> QuerySet[RiskConcern]:
    """The open concerns and alerts of the referral's episode, newest first: for a banner about
    the person on pages other than the care record (which reads them with the rest of the
    episode). The caller has fetched ``referral`` through a selector, so it may see it."""
    return (selectors.episode_risk_concerns(referral).filter(RiskConcern.open_q())
            .order_by("-raised_at", "id"))
