"""The facts a triage decision rests on, on the queue row and the triage page: the reason for
referral, the presenting needs, the risk the referral recorded at intake, and the person's
other referrals (earlier ones, and any open with another team).

Risk at intake is what the referral itself says: an emergency or urgent referral, and the
presenting needs that speak of risk to self. Alerts raised later (risk concerns) are shown by
the alerts' own flag.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from config.templating import uk_date
from pcns.models import User
from referrals import selectors
from referrals.codes import PresentingNeed, Urgency
from referrals.models import Referral

#: Presenting needs that are themselves a risk flag at intake.
RISK_NEEDS = (PresentingNeed.SELF_HARM, PresentingNeed.SUICIDAL_THOUGHTS)
#: How much of the reason for referral a queue row shows.
REASON_ON_ROW = 140


def with_other_referral_count(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate ``other_referrals``: how many other referrals the person has in the place, in
    the same query (a subquery), so a list costs nothing more per row."""
    others = (Referral.objects.filter(tenant_id=OuterRef("tenant_id"), person=OuterRef("person"))
              .exclude(pk=OuterRef("pk")).order_by().values("person")
              .annotate(n=Count("pk")).values("n"))
    return referrals.annotate(other_referrals=Coalesce(
        Subquery(others, output_field=IntegerField()), Value(0)))


def risk_flags(referral: Referral) -> list[dict[str, str]]:
    """NHS.UK tags for the risk the referral recorded at intake (empty if none)."""
    flags = []
    if referral.urgency == Urgency.EMERGENCY:
        flags.append({"text": "Emergency referral", "classes": "nhsuk-tag--red"})
    elif referral.urgency == Urgency.URGENT:
        flags.append({"text": "Urgent referral", "classes": "nhsuk-tag--orange"})
    flags += [{"text": PresentingNeed(need).label, "classes": "nhsuk-tag--red"}
              for need in RISK_NEEDS if need in referral.presenting_needs]
    return flags


def reason_excerpt(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) <= REASON_ON_ROW:
        return reason or "Not recorded"
    return reason[:REASON_ON_ROW].rsplit(" ", 1)[0] + "…"


def other_referrals(user: User, referral: Referral) -> list[dict]:
    """The person's other referrals in the place, newest first: team, dates and status, with a
    link where the user may open it. One query."""
    visible = selectors.referral_list_for_user(user).filter(pk=OuterRef("pk"))
    others = (Referral.objects.filter(tenant_id=referral.tenant_id, person_id=referral.person_id)
              .exclude(pk=referral.pk).select_related("team")
              .annotate(visible=Exists(visible)).order_by("-received_on", "id"))
    rows = []
    for other in others:
        outcome = ""
        if other.discharged_on:
            outcome = f"discharged {uk_date(other.discharged_on)}: " \
                      f"{other.get_discharge_reason_display().lower()}"
        elif other.rejection_reason:
            outcome = f"rejected: {other.get_rejection_reason_display().lower()}"
        elif other.redirect_destination:
            outcome = f"redirected to {other.get_redirect_destination_display()}"
        rows.append({
            "href": reverse("referrals:detail", args=[other.pk]) if other.visible else "",
            "team": other.team.name,
            "received": uk_date(other.received_on),
            "status": other.get_status_display(),
            "outcome": outcome,
        })
    return rows
