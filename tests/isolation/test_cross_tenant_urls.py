"""Every URL that takes an object id answers 404 to every user of another tenant."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from caseload.models import (
    Assessment,
    CarePlan,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from pcns.models import ImportRun
from referrals.models import Person, PersonMerge, Referral
from tests.factories import Cast
from vcse.models import OnwardReferral, Service

pytestmark = pytest.mark.django_db


def _walk(patterns, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            found += _walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def _object_patterns() -> list[tuple[str, list[str]]]:
    patterns = []
    for name, pattern in _walk(get_resolver().url_patterns):
        params = list(pattern.pattern.regex.groupindex)
        if params:
            patterns.append((name, params))
    return patterns


def _first(model):
    def find(cast: Cast):
        from pcns.tenancy import tenant_context

        with tenant_context(cast.tenant.pk):
            return model.objects.filter(tenant=cast.tenant).values_list("pk", flat=True).first()

    return find


# How to find tenant A's object for each URL parameter outside the admin.
#: Path parameters that are not ids (a care plan's version number), with a value that exists.
NOT_IDS = {"number": 1}

OBJECTS = {
    ("referrals:detail", "referral_id"): _first(Referral),
    ("referrals:timeline", "referral_id"): _first(Referral),
    ("referrals:triage", "referral_id"): _first(Referral),
    ("referrals:allocate", "referral_id"): _first(Referral),
    ("referrals:mdt-list", "team_id"): lambda cast: cast.pcn_team.pk,
    ("referrals:person-detail", "person_id"): _first(Person),
    ("referrals:person-merge", "person_id"): _first(Person),
    ("referrals:person-subject-access", "person_id"): _first(Person),
    ("referrals:person-subject-access-json", "person_id"): _first(Person),
    ("referrals:merge-undo", "merge_id"): _first(PersonMerge),
    ("api:person-detail", "pk"): _first(Person),
    ("api:referral-detail", "pk"): _first(Referral),
    ("api:referral-triage", "pk"): _first(Referral),
    ("api:referral-allocation", "pk"): _first(Referral),
    ("api:referral-allocation-candidates", "pk"): _first(Referral),
    ("api:referral-events", "pk"): _first(Referral),
    ("api:person-merge-undo", "pk"): _first(PersonMerge),
    ("api:contact-detail", "pk"): _first(Contact),
    ("api:contact-outcome", "pk"): _first(Contact),
    ("api:assessment-detail", "pk"): _first(Assessment),
    ("api:care-plan-detail", "pk"): _first(CarePlan),
    ("api:intervention-detail", "pk"): _first(Intervention),
    ("api:intervention-end", "pk"): _first(Intervention),
    ("api:outcome-measure-detail", "pk"): _first(OutcomeMeasure),
    ("api:risk-concern-detail", "pk"): _first(RiskConcern),
    ("api:risk-concern-acknowledge", "pk"): _first(RiskConcern),
    ("api:referral-discharge", "pk"): _first(Referral),
    ("api:team-caseload", "pk"): lambda cast: cast.pcn_team.pk,
    ("caseload:team", "team_id"): lambda cast: cast.pcn_team.pk,
    ("caseload:team-contact-new", "team_id"): lambda cast: cast.pcn_team.pk,
    ("caseload:record", "referral_id"): _first(Referral),
    ("caseload:contact-new", "referral_id"): _first(Referral),
    ("caseload:assessment-new", "referral_id"): _first(Referral),
    ("caseload:intervention-new", "referral_id"): _first(Referral),
    ("caseload:discharge", "referral_id"): _first(Referral),
    ("caseload:risk-concern-new", "referral_id"): _first(Referral),
    ("caseload:care-plan-edit", "referral_id"): _first(Referral),
    ("caseload:outcomes", "referral_id"): _first(Referral),
    ("caseload:outcome-new", "referral_id"): _first(Referral),
    ("caseload:contact-outcome", "contact_id"): _first(Contact),
    ("caseload:intervention-end", "intervention_id"): _first(Intervention),
    ("caseload:risk-concern-acknowledge", "concern_id"): _first(RiskConcern),
    ("caseload:care-plan-version", "plan_id"): _first(CarePlan),
    ("caseload:care-plan-print", "plan_id"): _first(CarePlan),
    ("vcse:service-detail", "service_id"): _first(Service),
    ("api:service-detail", "pk"): _first(Service),
    ("api:onward-referral-detail", "pk"): _first(OnwardReferral),
    ("api:onward-referral-withdraw-consent", "pk"): _first(OnwardReferral),
    ("api:inbox-detail", "pk"): _first(OnwardReferral),
    ("api:inbox-accept", "pk"): _first(OnwardReferral),
    ("api:inbox-decline", "pk"): _first(OnwardReferral),
    ("api:inbox-close", "pk"): _first(OnwardReferral),
    ("api:inbox-contacts", "pk"): _first(OnwardReferral),
    ("vcse:service-edit", "service_id"): _first(Service),
    ("vcse:onward-new", "referral_id"): _first(Referral),
    ("vcse:onward-detail", "onward_id"): _first(OnwardReferral),
    ("vcse:consent-withdraw", "onward_id"): _first(OnwardReferral),
    ("vcse:inbox-detail", "onward_id"): _first(OnwardReferral),
    ("vcse:inbox-accept", "onward_id"): _first(OnwardReferral),
    ("vcse:inbox-decline", "onward_id"): _first(OnwardReferral),
    ("vcse:inbox-contact-new", "onward_id"): _first(OnwardReferral),
    ("vcse:inbox-close", "onward_id"): _first(OnwardReferral),
    ("pcns:team-detail", "team_id"): lambda cast: cast.pcn_team.pk,
    ("pcns:organisation-detail", "organisation_id"): lambda cast: cast.pcn.pk,
    ("pcns:import-detail", "run_id"): _first(ImportRun),
    ("pcns:import-progress", "run_id"): _first(ImportRun),
    ("api:organisation-detail", "pk"): lambda cast: cast.pcn.pk,
    ("api:team-detail", "pk"): lambda cast: cast.pcn_team.pk,
    ("api:staff-detail", "pk"): lambda cast: cast.clinician.membership.pk,
    ("admin:auth_user_password_change", "id"): lambda cast: cast.clinician.pk,
}
#: The open directory feed answers anyone, signed in or not, by design: it holds published
#: services only. tests/vcse/test_feed.py checks one tenant's slug never shows another's service.
PUBLIC = {"vcse:oruk-index", "vcse:oruk-services", "vcse:oruk-service"}
#: Single sign-on starts before anyone signs in (tests/pcns/test_single_sign_on.py).
PUBLIC |= {"pcns:sso-start", "pcns:sso-callback"}
#: Links emailed to one person, opened before signing in: they take a secret token, not an id
#: (tests/pcns/test_invitations.py and test_password_reset.py).
PUBLIC |= {"pcns:invitation-open", "pcns:password-reset-confirm"}
#: Answer 404 to tenant administrators too: they never set a password (test_invitations.py).
NOBODY_IN_A_TENANT = {"admin:auth_user_password_change"}
ADMIN_OBJECT = re.compile(r"^admin:(?P<app>\w+?)_(?P<model>\w+)_(change|delete|history)$")


def _admin_object_id(name: str, cast: Cast):
    match = ADMIN_OBJECT.match(name)
    model = ContentType.objects.get(app_label=match["app"], model=match["model"]).model_class()
    if model._meta.model_name == "tenant":
        return cast.tenant.pk
    if model._meta.model_name == "user":
        return cast.clinician.pk
    from pcns.tenancy import tenant_context

    with tenant_context(cast.tenant.pk):
        obj = model._default_manager.filter(tenant=cast.tenant).first()
    assert obj is not None, f"the cast has no {model.__name__} to try {name} with"
    return obj.pk


def _urls_for(cast: Cast) -> list[tuple[str, str]]:
    urls = []
    for name, params in _object_patterns():
        if name == "admin:view_on_site":
            continue  # covered below with a content type
        if name in PUBLIC:
            continue
        if ADMIN_OBJECT.match(name) and params == ["object_id"]:
            if name.split("_")[0] in {"admin:auth", "admin:authtoken", "admin:otp"}:
                # Django's own (groups, tokens): superusers only, no tenant data; django-otp's
                # devices: nobody (pcns.admin.HiddenAdmin, tests/pcns/test_two_factor.py).
                continue
            obj_id = _admin_object_id(name, cast)
            urls.append((name, reverse(name, kwargs={"object_id": obj_id})))
            continue
        if name.startswith("admin:") and params == ["app_label"]:
            continue  # app index pages take no object id
        ids = [p for p in params if p not in NOT_IDS]
        key = (name, ids[0]) if len(ids) == 1 else (name, tuple(ids))
        assert key in OBJECTS, f"URL {name} takes {params}: add it to OBJECTS in this test"
        kwargs = {p: NOT_IDS[p] for p in params if p in NOT_IDS}
        urls.append((name, reverse(name, kwargs={ids[0]: OBJECTS[key](cast), **kwargs})))
    return urls


def test_every_object_url_is_404_for_each_user_of_another_tenant(client, tenant_a, tenant_b):
    urls = _urls_for(tenant_a)
    assert len(urls) >= 10
    for label, user in tenant_b.users.items():
        client.force_login(user)
        for name, url in urls:
            if name.startswith("admin:") and not user.is_staff:
                continue  # non-staff never reach admin views (redirected to sign in)
            response = client.get(url)
            assert response.status_code == 404, f"{label} got {response.status_code} for {name}"
        client.logout()


def test_tenant_b_admin_cannot_open_tenant_a_objects_in_the_admin(client, tenant_a, tenant_b):
    client.force_login(tenant_b.tenant_admin)
    admin_urls = [url for name, url in _urls_for(tenant_a) if name.startswith("admin:")]
    assert admin_urls
    for url in admin_urls:
        assert client.get(url).status_code == 404, url
    ct = ContentType.objects.get(app_label="pcns", model="team")
    response = client.get(reverse("admin:view_on_site", args=[ct.pk, tenant_a.pcn_team.pk]))
    assert response.status_code == 404


# Who in tenant A can open each page or endpoint (everything else: the tenant admin), and the
# URLs that take POST only (405 for a GET from someone who may see the object).
OWNER = {"referrals:": "team_lead", "api:referral-": "team_lead", "api:person-detail": "team_lead",
         "api:contact-": "team_lead", "api:assessment-": "team_lead",
         "api:care-plan-": "team_lead", "api:intervention-": "team_lead",
         "api:outcome-measure-": "team_lead", "api:risk-concern-": "team_lead",
         "api:team-caseload": "team_lead", "caseload:": "team_lead",
         "vcse:onward-": "team_lead", "vcse:consent-": "team_lead", "vcse:inbox-": "vcse_worker",
         "api:onward-referral-": "team_lead", "api:inbox-": "vcse_worker"}
POST_ONLY = {"referrals:merge-undo", "api:referral-triage", "api:referral-allocation",
             "api:person-merge-undo", "api:contact-outcome", "api:intervention-end",
             "api:risk-concern-acknowledge", "api:referral-discharge", "vcse:inbox-accept",
             "api:onward-referral-withdraw-consent", "api:inbox-accept", "api:inbox-decline",
             "api:inbox-close"}


def test_the_same_urls_work_for_the_owning_tenant(client, tenant_a):
    """The 404s above come from scoping, not from broken URLs."""
    for name, url in _urls_for(tenant_a):
        if name.endswith("_delete") or name.endswith("_history") or name in NOBODY_IN_A_TENANT:
            continue
        label = next((who for prefix, who in OWNER.items() if name.startswith(prefix)),
                     "tenant_admin")
        if name in {"referrals:person-merge", "referrals:merge-undo", "api:person-merge-undo",
                    "referrals:person-subject-access",
                    "referrals:person-subject-access-json"}:
            label = "tenant_admin"
        client.force_login(tenant_a.users[label])
        expected = 405 if name in POST_ONLY else 200
        assert client.get(url).status_code == expected, f"{label}: {name}"
