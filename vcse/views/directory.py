"""The service directory: search it (any member of the place), see a service, and list or change
services (tenant administrators for any VCSE organisation, a VCSE lead for their own).

Services are not personal data, so these pages are not audited as views; changes are audited by
vcse.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.exceptions import Conflict
from config.forms import add_service_errors
from config.pages import choice_items as _choices
from config.pages import conflict_page as _conflict
from config.pages import field_value as _value
from config.pages import require as _require
from pcns import selectors as pcns_selectors
from pcns.models import OrganisationKind
from pcns.presenters import error_list
from vcse import forms, permissions, presenters, selectors, services
from vcse.codes import SupportCategory

PAGE_SIZE = 25


def _pcns(user):
    return (pcns_selectors.organisation_list_for_user(user)
            .filter(kind=OrganisationKind.PCN).order_by("name"))


# --------------------------------------------------------------------------- search


def service_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.can_view_directory(user))
    pcns = list(_pcns(user))
    form = forms.DirectorySearchForm(request.GET or None, pcns=_pcns(user))
    found = selectors.services_for_user(user)
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            found = selectors.services_search(found, need=data["need"], area=data["area"],
                                              open_only=data["open_only"], text=data["q"])
        else:
            found = found.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "vcse/directory/service_list.jinja", {
        "form": form,
        "cards": presenters.service_cards(page.object_list),
        "page": page,
        "query": query.urlencode(),
        "searched": form.is_bound and bool(query),
        "q": request.GET.get("q", ""),
        "open_only": request.GET.get("open_only") in ("on", "true", "1", "yes"),
        "choices": {
            "need": _choices(SupportCategory.choices, request.GET.get("need"),
                             blank="Any need"),
            "area": _choices([(o.pk, o.name) for o in pcns], request.GET.get("area"),
                             blank="Anywhere in the place"),
        },
        "may_list": permissions.can_maintain_any_service(user),
    })


def service_detail(request: HttpRequest, service_id) -> HttpResponse:
    service = selectors.service_get_for_user(request.user, service_id)
    _require(permissions.can_view_directory(request.user))
    return render(request, "vcse/directory/service_detail.jinja", {
        "service": service,
        "open": presenters.open_tag(service),
        "rows": presenters.service_rows(service),
        "may_edit": permissions.can_edit_service(request.user, service),
    })


# --------------------------------------------------------------------------- upkeep


def _form_context(form, *, service=None, organisations=None) -> dict:
    value = lambda name, default="": _value(form, name, default)  # noqa: E731

    def chosen(name: str) -> list[str]:
        if form.is_bound:
            return form.data.getlist(name)
        return [str(v) for v in form.initial.get(name, [])]

    context = {
        "form": form,
        "service": service,
        "v": value,
        "error_list": error_list(form, "organisation" if organisations is not None else "name"),
        "choices": {
            "categories": _choices(SupportCategory.choices, chosen("categories")),
            "areas": _choices([(o.pk, o.name) for o in form.fields["areas"].queryset],
                              chosen("areas")),
            "is_open": _choices(forms.YES_NO, value("is_open", "yes")),
            "is_published": _choices(forms.YES_NO, value("is_published", "yes")),
        },
    }
    if organisations is not None:
        context["choices"]["organisation"] = _choices(
            [(o.pk, o.name) for o in organisations], value("organisation"),
            blank="" if len(organisations) == 1 else "Choose the organisation")
    return context


def service_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(permissions.can_maintain_any_service(user))
    mine = list(selectors.organisations_user_may_list_for(user))
    _require(bool(mine))
    # Any VCSE organisation of the place is a well-formed answer; whether this user may list
    # for it is a permission (403), not a form error.
    vcse = (pcns_selectors.organisation_list_for_user(user)
            .filter(kind=OrganisationKind.VCSE).order_by("name"))
    form = forms.ServiceForm(request.POST if request.method == "POST" else None,
                             organisations=vcse, pcns=_pcns(user),
                             initial={"organisation": str(mine[0].pk)} if len(mine) == 1
                             else {})
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        _require(permissions.can_list_services_for(user, organisation))
        try:
            service = services.service_create(actor=user, organisation=organisation,
                                              data=form.service_input())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{service.name} is now listed in the directory.")
            return redirect("vcse:service-detail", service.pk)
    return render(request, "vcse/directory/service_form.jinja",
                  _form_context(form, organisations=mine),
                  status=400 if form.errors else 200)


def service_edit(request: HttpRequest, service_id) -> HttpResponse:
    user = request.user
    service = selectors.service_get_for_user(user, service_id)
    _require(permissions.can_edit_service(user, service))
    form = forms.ServiceForm(request.POST if request.method == "POST" else None,
                             pcns=_pcns(user), initial=forms.ServiceForm.initial_for(service))
    template = "vcse/directory/service_form.jinja"
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.service_update(service=service, actor=user,
                                            version=form.cleaned_data["version"],
                                            data=form.service_input())
        except Conflict as error:
            return _conflict(request, template, _form_context(form, service=service), error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{saved.name} updated.")
            return redirect("vcse:service-detail", saved.pk)
    return render(request, template, _form_context(form, service=service),
                  status=400 if form.errors else 200)
