"""Turn the duty figures and lists (caseload/duty.py) into what the home pages show: each figure
with the link to the list behind it. Links carry team ids and filter codes, never a person."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from caseload.duty import TeamDuty
from config.templating import uk_date
from referrals.codes import Urgency
from referrals.filters import WAITING_BANDS
from referrals.presenters import nhs_number_text


def _queue(team_id, **filters) -> str:
    return f"{reverse('referrals:triage-queue')}?{urlencode({'team': team_id, **filters})}"


def _team_list(team_id, show: str) -> str:
    return f"{reverse('caseload:team', args=[team_id])}?{urlencode({'show': show})}"


def _figure(label: str, count: int, href: str) -> dict:
    return {"label": label, "count": count, "href": href}


#: Urgency order on the page: most urgent first.
URGENCY_ORDER = [Urgency.EMERGENCY, Urgency.URGENT, Urgency.ROUTINE]


def duty_sections(duties: list[TeamDuty]) -> list[dict]:
    sections = []
    for d in duties:
        team_id = str(d.team.pk)
        sections.append({
            "name": d.team.name,
            "team_href": reverse("pcns:team-detail", args=[team_id]),
            "caseload_href": reverse("caseload:team", args=[team_id]),
            "mdt_href": reverse("referrals:mdt-list", args=[team_id]),
            "backlog": _figure("Awaiting triage", d.untriaged, _queue(team_id)),
            "by_urgency": [_figure(Urgency(u).label, d.by_urgency[u], _queue(team_id, urgency=u))
                           for u in URGENCY_ORDER],
            "by_band": [_figure(label, d.by_band[code], _queue(team_id, waiting=code))
                        for code, label, *_ in WAITING_BANDS],
            "figures": [
                _figure("Open alerts and risk concerns", d.open_alerts,
                        f"{reverse('caseload:risk-concerns')}?"
                        f"{urlencode({'team': team_id, 'status': 'open'})}"),
                _figure("Accepted, waiting to be allocated", d.unallocated,
                        _team_list(team_id, "unallocated")),
                _figure("People waiting over 4 weeks (28 days) without a clock stop",
                        d.over_four_weeks, _team_list(team_id, "over-4-weeks")),
                _figure("Care plan reviews overdue", d.reviews_overdue,
                        _team_list(team_id, "review-overdue")),
            ],
        })
    return sections


def open_alerts_banner(duties: list[TeamDuty]) -> dict | None:
    """The warning at the top of the duty view while any alert or risk concern in the lead's
    teams is unacknowledged: it stays until a lead says what they did about each one."""
    total = sum(d.open_alerts for d in duties)
    if not total:
        return None
    return {
        "count": total,
        "text": ("1 safety alert or risk concern is" if total == 1
                 else f"{total} safety alerts or risk concerns are") + " waiting for a lead",
        "href": f"{reverse('caseload:risk-concerns')}?{urlencode({'status': 'open'})}",
    }


def review_rows(referrals, today: dt.date) -> list[dict]:
    return [
        {
            "href": reverse("caseload:care-plan-edit", args=[r.pk]),
            "record_href": reverse("caseload:record", args=[r.pk]),
            "name": r.person.full_name,
            "nhs_number": nhs_number_text(r.person),
            "team": r.team.name,
            "review_by": uk_date(r.review_by),
            "days_overdue": (today - r.review_by).days,
        }
        for r in referrals
    ]


def waiting_rows(clocks, referrals: dict, today: dt.date) -> list[dict]:
    rows = []
    for c in clocks:
        r = referrals[c.referral_id]
        rows.append({
            "href": reverse("caseload:record", args=[r.pk]),
            "name": r.person.full_name,
            "nhs_number": nhs_number_text(r.person),
            "team": r.team.name,
            "days": c.days(today),
            "since": uk_date(c.start_on),
            "missing": ", ".join(c.missing),
        })
    return rows
