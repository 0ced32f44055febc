"""Find a patient (referrals/search.py): the page, and the answer to the search box that every
clinical page carries in its header.

The search is a POST, so no NHS number, name or date of birth is ever in a web address (nor in
the access log or the browser's history); the answer is the page of the POST itself. Every
search is audited: one row saying what kind of search it was and how many were found (never
what was typed), and one row per person shown.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from config import limits
from config.forms import text
from config.pages import require as _require
from pcns.audit import audit_shown
from pcns.presenters import error_list
from referrals import search
from referrals.banner import age_text, cui_date, cui_name, nhs_number_text
from referrals.presenters import status_tag

#: The audit log's target for a search: the search itself, which names no one ("Viewed patient
#: search: by name, 3 found").
SEARCH_TARGET = "patient_search"


class SearchForm(forms.Form):
    query = text("The search", limits.NAME, required=True,
                 error_messages={"required": "Enter an NHS number, a name or a date of birth."})

    def clean_query(self) -> search.Query:
        try:
            return search.parse_query(self.cleaned_data["query"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None


def person_search(request: HttpRequest) -> HttpResponse:
    _require(search.can_search_people(request.user))
    form = SearchForm(request.POST if request.method == "POST" else None)
    found = None
    if request.method == "POST" and form.is_valid():
        query = form.cleaned_data["query"]
        found = search.search_people(request.user, query)
        shown = len(found.people) or len(found.elsewhere_people)
        note = f"by {query.kind}, {shown} found"
        if found.elsewhere:
            note += " in other teams"
        audit_shown(request, (SEARCH_TARGET, ""), note=note)
        audit_shown(request, found.people, note=f"search by {query.kind}")
        audit_shown(request, [("referrals.person", pk) for pk in found.elsewhere_people],
                    note=f"search by {query.kind}: known to another team")
    return render(
        request,
        "referrals/search.jinja",
        {
            "form": form,
            "typed": form.data.get("query", "") if form.is_bound else "",
            "error_list": error_list(form, "query"),
            "found": found,
            "rows": _rows(found.people) if found else [],
            "elsewhere": _elsewhere_rows(found.elsewhere) if found else [],
        },
        status=400 if form.errors else 200,
    )


def _rows(people) -> list[dict]:
    today = timezone.localdate()
    return [
        {
            "href": reverse("referrals:person-detail", args=[person.pk]),
            "name": cui_name(person),
            "born": cui_date(person.date_of_birth),
            "age": age_text(person.date_of_birth, today),
            "nhs_number": nhs_number_text(person),
            "gender": person.get_gender_display(),
            "postcode": person.postcode or "Not recorded",
            "referrals": [
                {"href": reverse("referrals:detail", args=[r.pk]), "team": r.team.name,
                 "status": status_tag(r)}
                for r in person.visible_referrals
            ],
        }
        for person in people
    ]


def _elsewhere_rows(elsewhere) -> list[dict]:
    return [
        {
            "team": known.team.name,
            "host": known.team.host.name,
            "leads": [{"name": str(lead.user), "email": lead.user.email}
                      for lead in known.leads],
        }
        for known in elsewhere
    ]
