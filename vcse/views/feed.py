"""The open directory feed (Open Referral UK): published services of one tenant, as JSON, for
anyone.

No sign-in: each view is marked ``login_not_required``, which SignInRequiredMiddleware honours
(it is Django's LoginRequiredMiddleware). With no user there is no tenant context from the
request, so each view finds the tenant by its slug (a narrow SECURITY DEFINER lookup) and reads
inside ``tenant_context``: row-level security still confines every query to that tenant, and a
service id of another tenant is simply not found (404). Responses are JSON only, for GET (and
HEAD), with ``Access-Control-Allow-Origin: *`` as the UK profile asks so browser apps can read
them. The site-wide CSP header is harmless on JSON; nothing here is rendered as a page. Errors
answer JSON too (never the HTML error page), so a consumer always gets the one format.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from pcns.models import Tenant
from pcns.tenancy import tenant_context, tenant_id_for_slug
from vcse import openreferral, selectors


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_found() -> JsonResponse:
    return _json({"message": "Not found."}, status=404)


def _not_allowed() -> JsonResponse:
    response = _json({"message": "Only GET is allowed here."}, status=405)
    response["Allow"] = "GET, HEAD"
    return response


def _feed_view(view: Callable) -> Callable:
    """Open to all, GET only, and run in the tenant named by the slug (404 if there is none)."""

    @login_not_required
    @wraps(view)
    def wrapped(request: HttpRequest, tenant_slug: str, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return _not_allowed()
        tenant_id = tenant_id_for_slug(tenant_slug)
        if tenant_id is None:
            return _not_found()
        with tenant_context(tenant_id):
            tenant = Tenant.objects.get(pk=tenant_id)
            return view(request, tenant, **kwargs)

    return wrapped


def _context(tenant: Tenant) -> dict:
    return {"place": openreferral.place_of(tenant.pk), "tenant_name": tenant.name}


@_feed_view
def index(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    services_url = request.build_absolute_uri(reverse("vcse:oruk-services", args=[tenant.slug]))
    return _json(openreferral.api_index(services_url=services_url))


@_feed_view
def services(request: HttpRequest, tenant: Tenant) -> JsonResponse:
    published = openreferral.filtered(
        selectors.published_services(tenant.pk),
        taxonomy_id=request.GET.get("taxonomy_id", ""), text=request.GET.get("text", ""),
    )
    return _json(openreferral.services_page(
        published, page=openreferral.page_number(request.GET.get("page")),
        size=openreferral.per_page(request.GET.get("per_page")), **_context(tenant),
    ))


@_feed_view
def service(request: HttpRequest, tenant: Tenant, service_id: uuid.UUID) -> JsonResponse:
    found = selectors.published_services(tenant.pk).filter(pk=service_id).first()
    if found is None:
        return _not_found()
    return _json(openreferral.service_json(found, **_context(tenant)))
