"""What every page's shell needs: the tenant, the user and the navigation for their role."""

from __future__ import annotations

from django.urls import reverse

from pcns import permissions
from pcns.roles import LEAD_ROLES, landing_url_name
from referrals import permissions as referral_permissions
from referrals.banner import patient_banner
from referrals.search import can_search_people
from reporting import permissions as reporting_permissions
from vcse import permissions as vcse_permissions


def navigation_for(request) -> list[dict[str, str]]:
    user = request.user
    membership = getattr(request, "membership", None)
    if not user.is_authenticated or membership is None:
        return []
    items = [{"text": "Home", "href": reverse(landing_url_name(membership.role))}]
    if referral_permissions.can_view_triage_queue(user):
        items.append({"text": "Triage queue", "href": reverse("referrals:triage-queue")})
        items.append({"text": "My caseload", "href": reverse("caseload:mine")})
    if membership.role in LEAD_ROLES:
        items.append({"text": "Risk concerns", "href": reverse("caseload:risk-concerns")})
    if vcse_permissions.can_use_inbox(user):
        items.append({"text": "Inbox", "href": reverse("vcse:inbox")})
    if referral_permissions.can_receive_referrals(user):
        items.append({"text": "New referral", "href": reverse("referrals:new")})
    if referral_permissions.can_view_practice_referrals(user):
        items.append({"text": "Referrals", "href": reverse("referrals:practice-list")})
    if permissions.can_view_team_lead_home(user) or permissions.can_view_clinician_home(user):
        items.append({"text": "Teams", "href": reverse("pcns:team-list")})
    if referral_permissions.can_view_triage_queue(user) or \
            vcse_permissions.can_maintain_any_service(user):
        items.append({"text": "Services", "href": reverse("vcse:services")})
    if vcse_permissions.can_view_activity_report(user):
        items.append({"text": "VCSE activity", "href": reverse("vcse:activity")})
    if reporting_permissions.can_view_programme_dashboard(user):
        items.append({"text": "Dashboards", "href": reverse("reporting:dashboard")})
    if membership.role in LEAD_ROLES:
        items.append({"text": "Team metrics", "href": reverse("reporting:team")})
    if reporting_permissions.may_hold_caseload(user):
        items.append({"text": "My metrics", "href": reverse("reporting:mine")})
    if permissions.can_view_programme_home(user):
        items.append({"text": "Organisations", "href": reverse("pcns:organisation-list")})
    if referral_permissions.can_merge_people(user):
        items.append({"text": "Merged records", "href": reverse("referrals:merge-list")})
    if permissions.can_administer_tenant(user):
        items.append({"text": "Administration", "href": reverse("admin:index")})
    items.append({"text": "API", "href": reverse("api:docs")})
    path = request.path
    for item in items:
        item["current"] = path == item["href"] or (
            item["href"] != "/" and path.startswith(item["href"])
        )
    return items


def shell(request) -> dict:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "tenant": getattr(request, "tenant", None),
        "navigation": navigation_for(request),
        "patient_search": can_search_people(request.user),
        # The patient banner's presenter (referrals/banner.py), for referrals/_patient_banner.jinja.
        "patient_banner": lambda person: patient_banner(request.user, person),
        # django-csp's lazy nonce is falsy until read: read it with str(), not bool().
        "csp_nonce": str(request.csp_nonce) if hasattr(request, "csp_nonce") else "",
    }
