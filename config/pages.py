"""Page plumbing shared by every app's views: permission refusal, what a field shows, NHS.UK
choice items, and the "someone else changed this" page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.exceptions import Conflict


def require(allowed: bool) -> None:
    """403 unless ``allowed`` (the object itself was already fetched through a selector)."""
    if not allowed:
        raise PermissionDenied


def choice_items(choices, selected=None, blank: str = "") -> list[dict]:
    """NHS.UK select, radio or checkbox items, with ``selected`` (one value or several) marked."""
    items = [{"value": "", "text": blank}] if blank else []
    selected = selected if isinstance(selected, list | tuple | set) else [selected]
    selected = [str(s) for s in selected if s not in (None, "")]
    for value, text in choices:
        items.append({"value": str(value), "text": str(text), "selected": str(value) in selected,
                      "checked": str(value) in selected})
    return items


def field_value(form, name: str, default=""):
    """What to show in a field: what was typed (bound form), else the initial value."""
    if form.is_bound:
        return form.data.get(name, default)
    field = form.fields.get(name)
    initial = form.initial.get(name, field.initial if field else None)
    return default if initial in (None, "") else initial


def conflict_page(request: HttpRequest, template: str, context: dict,
                  error: Conflict) -> HttpResponse:
    """The form's page again with 409 and the service's "reload" message at the top."""
    context["error_list"] = [{"text": error.message, "href": "#maincontent"}]
    context["conflict"] = True
    return render(request, template, context, status=409)
