"""The patient banner, drawn as the NHS Common User Interface (CUI) guidance draws it, so that
everyone knows whose record a page is before they record anything in it.

One presenter (``patient_banner``) and one partial (referrals/_patient_banner.jinja), on every
page about a person. The banner shows the family name in capitals then the given name, the date
of birth as dd-Mmm-yyyy with the age, the NHS number spaced 3 3 4, the gender, and the open
alerts (risk concerns not yet acknowledged) on any of the person's referrals. One query, for the
alerts, whatever the page.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Exists, OuterRef, Value
from django.urls import reverse
from django.utils import timezone

from pcns.models import User
from pcns.permissions import _membership
from pcns.roles import CLINICAL_ROLES
from referrals import selectors
from referrals.models import Person
from referrals.validators import format_nhs_number

#: Month abbreviations as CUI writes them, whatever the server's locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def cui_name(person: Person) -> str:
    """SMITH, Alex: the family name in capitals first, as CUI shows a patient's name."""
    return f"{person.family_name.upper()}, {person.given_name}"


def cui_date(day: dt.date) -> str:
    """03-Dec-1980."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_text(born: dt.date, day: dt.date) -> str:
    """Years from 2; months, then weeks, for a younger child (CUI's age rules)."""
    years = age_on(born, day)
    if years >= 2:
        return f"{years}y"
    months = (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)
    if months >= 1:
        return f"{months}m"
    return f"{(day - born).days // 7}w"


def nhs_number_text(person: Person) -> str:
    return format_nhs_number(person.nhs_number) if person.nhs_number else "Not known"


def _open_alerts(user: User, person: Person) -> list[tuple]:
    """(referral id, whether the user may open it, team name) for each open risk concern on
    the person's referrals, newest first. One query."""
    risk_concern = apps.get_model("caseload", "RiskConcern")  # a later app: no import
    membership = _membership(user)
    if membership is not None and membership.role in CLINICAL_ROLES:
        visible = Exists(selectors.referral_list_for_user(user).filter(pk=OuterRef("referral_id")))
    else:
        visible = Value(False)
    return list(
        risk_concern.objects.filter(risk_concern.open_q(), tenant_id=person.tenant_id,
                                    referral__person=person)
        .annotate(visible=visible)
        .order_by("-raised_at", "id")
        .values_list("referral_id", "visible", "referral__team__name")
    )


def patient_banner(user: User, person: Person, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    alerts = _open_alerts(user, person)
    count = len(alerts)
    alert = {"count": count,
             "text": "None open" if not count else f"{count} open alert" + ("s" if count > 1
                                                                            else "")}
    if alerts:
        referral_id, visible, team = alerts[0]
        if visible:
            alert["href"] = reverse("caseload:record", args=[referral_id]) + "#concerns"
        else:
            alert["held_by"] = team
    return {
        "name": cui_name(person),
        "href": reverse("referrals:person-detail", args=[person.pk]),
        "born": cui_date(person.date_of_birth),
        "age": age_text(person.date_of_birth, today),
        "nhs_number": nhs_number_text(person),
        "gender": person.get_gender_display(),
        "alerts": alert,
    }
