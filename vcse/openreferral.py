"""The open directory feed: a tenant's published services shaped after the Open Referral UK API
(the UK profile of HSDS 3.0), for anyone to read without signing in.

Only directory data leaves here: services, their organisations, areas and categories. Nothing
about onward referrals, people or staff is read. Child records the directory does not store as
rows (a service's phone contact, its eligibility text, its categories) get stable ids derived from
the service's id, so a consumer sees the same ids on every read.

- ``/``: what the feed is (``api_index``);
- ``/services/``: a page of services (``services_page``), filtered by ``taxonomy_id`` (a
  support category code) and ``text``;
- ``/services/<id>/``: one service (``service_json``).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.db.models import QuerySet

from pcns.models import Organisation, OrganisationKind
from vcse.codes import ORUK_STATUS, SupportCategory
from vcse.models import Service
from vcse.selectors import services_search

VERSION = "3.0"
PROFILE = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
OPENAPI_URL = "https://docs.openreferraluk.org/en/latest/openapi30.json"
#: The vocabulary our taxonomy terms belong to: the directory's own support categories.
VOCABULARY = "vcse-support-category"

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100


def _child_id(service: Service, kind: str, key: str = "") -> str:
    """A stable id for a child record held on the service row itself."""
    return str(uuid.uuid5(service.pk, f"{kind}:{key}"))


def _text(value: str) -> str | None:
    return value or None


def api_index(*, services_url: str) -> dict[str, Any]:
    return {
        "version": VERSION,
        "profile": PROFILE,
        "openapi_url": OPENAPI_URL,
        "services_url": services_url,
    }


def taxonomy_term(code: str) -> dict[str, str]:
    return {"id": code, "name": SupportCategory(code).label, "vocabulary": VOCABULARY}


def _areas(service: Service, place: Organisation | None, tenant_name: str) -> list[dict]:
    areas = list(service.areas.all())  # prefetched, in name order
    if areas:
        return [{"id": str(area.pk), "name": area.name, "service_area": area.name,
                 "description": _text(service.area_note)} for area in areas]
    if place is not None:
        return [{"id": str(place.pk), "name": place.name, "service_area": place.name,
                 "description": _text(service.area_note)}]
    return [{"id": _child_id(service, "area"), "name": tenant_name, "service_area": tenant_name,
             "description": _text(service.area_note)}]


def service_json(service: Service, *, place: Organisation | None,
                 tenant_name: str) -> dict[str, Any]:
    """One service as the feed shows it (``organisation`` and ``areas`` already loaded)."""
    organisation = service.organisation
    eligibility = _text(service.eligibility)
    return {
        "id": str(service.pk),
        "name": service.name,
        "description": _text(service.description),
        "url": _text(service.website),
        "email": _text(service.email),
        "status": ORUK_STATUS[service.is_open],
        "wait_time": _text(service.capacity_note),
        "last_modified": service.updated_at.isoformat(),
        "organization": {
            "id": str(organisation.pk),
            "name": organisation.name,
            "description": None,
            "url": None,
            "email": None,
        },
        "eligibility_description": eligibility,
        "eligibilitys": ([{"id": _child_id(service, "eligibility"), "eligibility": eligibility}]
                         if eligibility else []),
        "contacts": ([{"id": _child_id(service, "contact"), "name": service.name,
                       "phones": [{"id": _child_id(service, "phone"),
                                   "number": service.phone}]}]
                     if service.phone else []),
        "service_areas": _areas(service, place, tenant_name),
        "service_taxonomys": [
            {"id": _child_id(service, "taxonomy", code), "taxonomy": taxonomy_term(code)}
            for code in service.categories if code in SupportCategory.values
        ],
    }


def place_of(tenant_id: uuid.UUID) -> Organisation | None:
    """The place a service with no listed PCNs covers."""
    return (Organisation.objects.filter(tenant_id=tenant_id, kind=OrganisationKind.PLACE)
            .order_by("name", "pk").first())


def filtered(services: QuerySet[Service], *, taxonomy_id: str = "",
             text: str = "") -> QuerySet[Service]:
    """Narrow the published services by a category code and words in the name, description or
    organisation (an unknown code matches nothing)."""
    if taxonomy_id and taxonomy_id not in SupportCategory.values:
        return services.none()
    return services_search(services, need=taxonomy_id, text=text.strip())


def page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def per_page(raw: str | None) -> int:
    try:
        return min(MAX_PER_PAGE, max(1, int(raw or DEFAULT_PER_PAGE)))
    except ValueError:
        return DEFAULT_PER_PAGE


def services_page(services: QuerySet[Service], *, page: int, size: int,
                  place: Organisation | None, tenant_name: str) -> dict[str, Any]:
    """One page of services with the ORUK list header."""
    total = services.count()
    total_pages = math.ceil(total / size) if total else 0
    start = (page - 1) * size
    rows = list(services[start:start + size]) if start < total else []
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": size,
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not rows,
        "content": [service_json(s, place=place, tenant_name=tenant_name) for s in rows],
    }
