"""Every URL of the service, found by walking the URL patterns, with ids filled from a tenant's
fixtures. Shared by the isolation test (another tenant's ids answer 404) and the audit coverage
test (every page that shows a person audits it), so neither can miss a URL added later."""

from __future__ import annotations

import re

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
from referrals.models import Person, PersonMerge, Referral, Revision
from tests.factories import Cast
from vcse.models import OnwardReferral, Service


def walk(patterns, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            found += walk(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def object_patterns() -> list[tuple[str, list[str]]]:
    patterns = []
    for name, pattern in walk(get_resolver().url_patterns):
        params = list(pattern.pattern.regex.groupindex)
        if params:
            patterns.append((name, params))
    return patterns


def _first(model):
    def find(cast: Cast):
        from pcns.tenancy import tenant_context

        with tenant_context(cast.tenant.pk):
            return model.objects.filter(tenant=cast.tenant).values_list("pk", flat=True).first()

    find.model = model  # so a caller can choose a particular object of that model instead
    return find


# How to find tenant A's object for each URL parameter outside the admin.
#: Path parameters that are not ids (a care plan's version number), with a value that exists.
NOT_IDS = {"number": 1, "kind": "intervention"}

OBJECTS = {
    ("referrals:detail", "referral_id"): _first(Referral),
    ("referrals:timeline", "referral_id"): _first(Referral),
    ("referrals:triage", "referral_id"): _first(Referral),
    ("referrals:allocate", "referral_id"): _first(Referral),
    ("referrals:identity-check", "referral_id"): _first(Referral),
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
    ("caseload:correct", "record_id"): _first(Intervention),
    ("caseload:revision", "revision_id"): _first(Revision),
    ("referrals:person-edit", "person_id"): _first(Person),
    ("referrals:amend", "referral_id"): _first(Referral),
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
    ("vcse:inbox-messages", "onward_id"): _first(OnwardReferral),
    ("vcse:onward-messages", "onward_id"): _first(OnwardReferral),
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
#: The self-referral form of a place, its confirmation and its privacy notice: for anyone, by
#: the place's slug; they show no one's data (tests/referrals/test_self_referral.py).
PUBLIC |= {"referrals:self-referral", "referrals:self-referral-sent",
           "referrals:self-referral-privacy"}
#: Answer 404 to tenant administrators too: they never set a password (test_invitations.py).
NOBODY_IN_A_TENANT = {"admin:auth_user_password_change"}
ADMIN_OBJECT = re.compile(r"^admin:(?P<app>\w+?)_(?P<model>\w+)_(change|delete|history)$")


def admin_object_id(name: str, cast: Cast):
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


def urls_for(cast: Cast, objects: dict | None = None) -> list[tuple[str, str]]:
    """Every URL that takes an id, with the id of ``cast``'s object (``objects`` overrides
    OBJECTS for some URLs)."""
    objects = {**OBJECTS, **(objects or {})}
    urls = []
    for name, params in object_patterns():
        if name == "admin:view_on_site":
            continue  # covered below with a content type
        if name in PUBLIC:
            continue
        if ADMIN_OBJECT.match(name) and params == ["object_id"]:
            if name.split("_")[0] in {"admin:auth", "admin:authtoken", "admin:otp"}:
                # Django's own (groups, tokens): superusers only, no tenant data; django-otp's
                # devices: nobody (pcns.admin.HiddenAdmin, tests/pcns/test_two_factor.py).
                continue
            obj_id = admin_object_id(name, cast)
            urls.append((name, reverse(name, kwargs={"object_id": obj_id})))
            continue
        if name.startswith("admin:") and params == ["app_label"]:
            continue  # app index pages take no object id
        ids = [p for p in params if p not in NOT_IDS]
        key = (name, ids[0]) if len(ids) == 1 else (name, tuple(ids))
        assert key in objects, (f"URL {name} takes {params}: add it to OBJECTS in "
                                "tests/isolation/urls.py")
        kwargs = {p: NOT_IDS[p] for p in params if p in NOT_IDS}
        urls.append((name, reverse(name, kwargs={ids[0]: objects[key](cast), **kwargs})))
    return urls




def plain_urls() -> list[tuple[str, str]]:
    """Every URL that takes no parameter (lists, landing pages, forms), by name."""
    return [(name, reverse(name)) for name, pattern in walk(get_resolver().url_patterns)
            if not pattern.pattern.regex.groupindex]
