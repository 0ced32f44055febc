"""Turn models into what a page shows, so templates hold no logic."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from config.templating import uk_date, uk_datetime
from pcns.models import AuditEvent, IntakePause, Membership, Organisation, Team


def intake_status(pcn: Organisation, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    pauses: list[IntakePause] = list(pcn.intake_pauses.all())
    current = next((p for p in pauses if p.covers(today)), None)
    if current:
        until = f" until {uk_date(current.ends_on)}" if current.ends_on else ""
        return f"Paused{until}: {current.reason}"
    return "Open to referrals"


def pcn_rows(pcns) -> list[dict]:
    rows = []
    for pcn in pcns:
        rows.append(
            {
                "name": pcn.name,
                "href": reverse("pcns:organisation-detail", args=[pcn.pk]),
                "ods_code": pcn.ods_code or "Not recorded",
                "go_live": uk_date(pcn.go_live_date) or "Not yet live",
                "practices": pcn.practice_count,
                "teams": ", ".join(team.name for team in pcn.teams.all()) or "None",
                "intake": intake_status(pcn),
                "pauses": len(pcn.intake_pauses.all()),
            }
        )
    return rows


def staff_rows(members) -> list[dict]:
    rows = []
    for member in members:
        rows.append(
            {
                "name": member.user.get_full_name() or member.user.email,
                "role": member.get_role_display(),
                "employer": member.employer.name,
                "honorary": "Yes" if member.honorary_contract else "No",
                "wte": f"{member.wte:.2f}" if member.wte is not None else "Not recorded",
            }
        )
    return rows


def team_summary(team: Team, members: list[Membership]) -> dict:
    known = [m.wte for m in members if m.wte is not None]
    roles = Counter(m.get_role_display() for m in members)
    return {
        "name": team.name,
        "href": reverse("pcns:team-detail", args=[team.pk]),
        "kind": team.get_kind_display(),
        "host": team.host.name,
        "staff": len(members),
        "wte": f"{sum(known, Decimal(0)):.2f}" if known else "Not recorded",
        "roles": ", ".join(f"{count} {role.lower()}" for role, count in sorted(roles.items())),
    }


def team_rows(teams) -> list[dict]:
    """Teams annotated with ``staff_count`` (selectors.teams_with_counts)."""
    return [
        {
            "name": team.name,
            "href": reverse("pcns:team-detail", args=[team.pk]),
            "kind": team.get_kind_display(),
            "staff": team.staff_count,
        }
        for team in teams
    ]


def organisation_rows(organisations) -> list[dict]:
    return [
        {
            "name": org.name,
            "href": reverse("pcns:organisation-detail", args=[org.pk]),
            "kind": org.get_kind_display(),
            "ods_code": org.ods_code or "Not recorded",
            "parent": org.parent.name if org.parent else "None",
        }
        for org in organisations
    ]


def error_list(form, first_field: str = "") -> list[dict[str, str]]:
    """A form's errors for the NHS.UK error summary, each linking to its field."""
    fallback = first_field or next(iter(form.fields), "")
    items = [{"text": str(m), "href": f"#{fallback}"} for m in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != "__all__":
            items += [{"text": str(m), "href": f"#{name}"} for m in errors]
    return items


def audit_kind(target_type: str) -> str:
    """A readable name for an audit target's kind: the model's name, or the label itself for
    things that are not rows (``dataset``, ``metrics``)."""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return target_type.replace("_", " ").capitalize()
    return str(model._meta.verbose_name).capitalize()


def audit_what(event: AuditEvent, label: str = "") -> str:
    """What an audit event says happened, e.g. "Viewed referral: care record" or "Changed
    person: phone, postcode" (field names only: values are never kept). ``label`` names the
    target where the page may show more than its kind ("referral of Alex Smith")."""
    what = f"{event.get_action_display()} {label or audit_kind(event.target_type).lower()}"
    detail = ", ".join(event.fields) if event.fields else event.note
    return f"{what}: {detail}" if detail else what


def audit_rows(events, labels: dict | None = None) -> list[dict[str, str]]:
    """Who, when and what, for a table of audit events; ``labels`` names targets
    ({(target type, id): label}) where the page may show more than their kind."""
    labels = labels or {}
    return [
        {"when": uk_datetime(event.at), "who": event.actor_label,
         "action": event.get_action_display(),
         "what": audit_what(event, labels.get((event.target_type, event.target_id), ""))}
        for event in events
    ]
