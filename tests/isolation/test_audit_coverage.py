"""Every page and endpoint that shows a person audits it.

Walks every URL of the service (tests/isolation/urls.py: a URL added later is found too), and
asks each one (GET) as every user of a tenant that holds people at every stage. Whenever an
answer shows a person (their family name or NHS number in the body), an audit row about that
person or one of their records must have been written during the request. Every URL must either
show a person to someone here, or be on a short list of URLs that show no person, with the
reason; so a new page cannot slip through by showing nobody in this test.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from pcns.audit import person_of_targets, person_record_targets
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Person, Referral
from tests.factories import Cast, make_onward_referral, make_referral, make_service
from tests.isolation.urls import OBJECTS, PUBLIC, plain_urls, urls_for, walk

pytestmark = pytest.mark.django_db

#: URLs that show no person, and why. A prefix ends with ":" or "-".
NO_PERSON = {
    "admin:": "the Django admin holds the place, organisations, teams, staff and the audit "
              "log's ids and actors, never a person",
    "api:schema": "the API's description",
    "api:docs": "the API's description",
    "api:me": "the caller's own account",
    "api:organisation-": "organisations",
    "api:team-list": "teams", "api:team-detail": "a team",
    "api:staff-": "staff",
    "api:service-": "the VCSE service directory",
    "api:metric-": "figures, suppressed for small numbers",
    "api:team-caseload": "per worker counts",
    "vcse:services": "the VCSE service directory",
    "vcse:service-": "the VCSE service directory: a service and its forms",
    "vcse:activity": "counts per organisation", "vcse:activity-csv": "counts per organisation",
    "vcse:oruk-": "the open directory feed: published services only",
    "reporting:": "figures, suppressed for small numbers where shared",
    "pcns:home": "the landing page of each role, below",
    "pcns:home-": "landing pages: teams, counts and links",
    "caseload:home-team-lead": "the duty view: counts per team, each a link to a list",
    "pcns:sign-": "signing in and out", "pcns:signed-out": "signing out",
    "pcns:two-factor": "the second step of signing in",
    "pcns:two-factor-": "setting up or turning off one's own authenticator app",
    "pcns:recovery-codes": "the signed-in person's own recovery codes",
    "pcns:account": "the signed-in person's own account",
    "pcns:sso-": "single sign-on's start and return",
    "pcns:invitation-": "setting one's own password from an invitation",
    "pcns:password-reset": "resetting one's own password",
    "pcns:password-reset-": "resetting one's own password: the email sent, the new password",
    "pcns:team-": "teams and their staff", "pcns:organisation-": "organisations",
    "pcns:import-": "imports: counts and row errors by line and column, never a value",
    "caseload:team-contact-new": "a contact with no referral (advice to a GP)",
    "referrals:practice-referral-new": "a GP practice's empty referral form",
    "referrals:search": "the search form: people are found by a POST, audited (tested in "
                        "tests/referrals/test_search.py)",
}
#: Shows people, and is audited as a whole rather than per person.
AUDITED_AS_EXPORT = {
    "pcns:export": "the whole tenant's records as a zip: one export audit row (tested in "
                   "tests/dataset/test_upload.py)",
    "referrals:person-subject-access": "everything held about one person: one export audit row "
                                       "about them (tests/referrals/test_subject_access.py)",
    "referrals:person-subject-access-json": "the same as JSON: one export audit row about them",
}
#: Django's own admin pages for superusers (groups, tokens), django-otp's device pages (nobody
#: may use them: pcns.admin.HiddenAdmin) and the admin's plumbing, which
#: the walker leaves out: no tenant data.
DJANGOS_OWN = re.compile(r"^admin:(auth_|authtoken_|otp_|view_on_site$|app_list$)")
#: POST only: a GET answers 405 and shows nothing.
POST_ONLY = {"referrals:merge-undo", "api:referral-triage", "api:referral-allocation",
             "api:person-merge-undo", "api:contact-outcome", "api:intervention-end",
             "api:risk-concern-acknowledge", "api:referral-discharge", "vcse:inbox-accept",
             "api:onward-referral-withdraw-consent", "api:inbox-accept", "api:inbox-decline",
             "api:inbox-close"}


def _listed(name: str, table: dict | set) -> bool:
    return any(name == key or (key[-1] in ":-" and name.startswith(key)) for key in table)


def _world(cast: Cast) -> dict:
    """The cast's allocated referral (with a care record and an onward referral), plus one
    referral awaiting triage and one on the MDT list, each of a person of their own."""
    with tenant_context(cast.tenant.pk):
        allocated = Referral.objects.select_related("person").get(
            tenant=cast.tenant, status__in=["allocated", "active"])
    waiting = make_referral(cast, received_on=timezone.localdate() - dt.timedelta(days=1))
    mdt = make_referral(cast, received_on=timezone.localdate() - dt.timedelta(days=2))
    with tenant_context(cast.tenant.pk):
        referral_services.referral_decide(referral=mdt, actor=cast.team_lead,
                                          version=mdt.version, decision="mdt",
                                          note="Discuss at the MDT")
    # On the clinician's home: waiting over 4 weeks, nothing recorded yet.
    longest = make_referral(cast, received_on=timezone.localdate() - dt.timedelta(days=40))
    with tenant_context(cast.tenant.pk):
        longest = referral_services.referral_accept(referral=longest, actor=cast.team_lead,
                                                    version=longest.version)
        referral_services.referral_allocate(referral=longest, actor=cast.team_lead,
                                            version=longest.version,
                                            worker=cast.clinician.membership)
    walking = make_service(cast, name="Walking group", categories=["physical_health"])
    make_onward_referral(cast, referral=allocated, service=walking)  # the inbox's New tab
    return {"allocated": allocated, "waiting": waiting}


def _objects(world: dict) -> dict:
    """The walker's ids, pinned to the world's referral in care and its person."""
    allocated = world["allocated"]
    chosen = {}
    for key, find in OBJECTS.items():
        model = getattr(find, "model", None)
        if model is Referral:
            chosen[key] = lambda cast, pk=allocated.pk: pk
        elif model is Person:
            chosen[key] = lambda cast, pk=allocated.person_id: pk
    chosen[("referrals:triage", "referral_id")] = lambda cast: world["waiting"].pk
    return chosen


def _queries(world: dict) -> dict[str, str]:
    """Pages that show a person only when asked with a query."""
    person = world["allocated"].person
    return {
        "api:person-duplicates": f"?nhs_number={person.nhs_number}",
        "referrals:new": f"?person={person.pk}",
    }


def _markers(cast: Cast) -> tuple[list[tuple[re.Pattern, set]], dict[str, str]]:
    """What shows a person: their family name (people sharing one are told apart by whichever
    of them was audited) or their NHS number, spaced or not; and the ids of them and of their
    records ({id: person id}), in the body or, for an answer of 200, in the URL."""
    with tenant_context(cast.tenant.pk):
        people = list(Person.objects.filter(tenant=cast.tenant))
        ids = {}
        for person in people:
            for record_ids in person_record_targets([person.pk]).values():
                ids.update(dict.fromkeys(record_ids, str(person.pk)))
    by_family: dict[str, set] = {}
    for person in people:
        by_family.setdefault(person.family_name, set()).add(str(person.pk))
    markers = [(re.compile(rf"\b{re.escape(family)}\b"), people_ids)
               for family, people_ids in by_family.items()]
    for person in people:
        if person.nhs_number:
            n = person.nhs_number
            markers.append((re.compile(rf"{n[:3]}\s?{n[3:6]}\s?{n[6:]}"), {str(person.pk)}))
    return markers, ids


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _shown(name: str, response, url: str, markers, ids: dict[str, str]) -> list[set]:
    """The people an answer shows, each as the set of ids any of which auditing satisfies."""
    body = _body(response)
    shown = [people for pattern, people in markers if pattern.search(body)]
    # The Django admin's audit log lists the ids of what was viewed, which name no one.
    found = set() if name.startswith("admin:") else set(UUID.findall(body))
    if response.status_code == 200:
        found |= set(UUID.findall(url))
    shown += [{ids[i]} for i in found if i in ids]
    return shown


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _people_audited(cast: Cast, since) -> set[str]:
    with tenant_context(cast.tenant.pk):
        rows = list(AuditEvent.objects.filter(at__gte=since).values_list("target_type",
                                                                         "target_id"))
        by_type: dict[str, list[str]] = {}
        for target_type, target_id in rows:
            by_type.setdefault(target_type, []).append(target_id)
        people = set()
        for target_type, ids in by_type.items():
            people |= {str(p) for p in person_of_targets(target_type, ids).values()}
    return people


def test_every_page_and_endpoint_that_shows_a_person_audits_them(client, tenant_a):
    cast = tenant_a
    world = _world(cast)
    queries = _queries(world)
    markers, ids = _markers(cast)
    urls = [(name, url + queries.get(name, "")) for name, url in plain_urls()]
    urls += urls_for(cast, _objects(world))
    walked = {name for name, _ in walk(get_resolver().url_patterns)
              if not DJANGOS_OWN.match(name)}
    assert walked - PUBLIC <= {n for n, _ in urls}, "the walker left out a URL"
    showing: set[str] = set()
    failures = []
    for label, user in cast.users.items():
        client.force_login(user)
        for name, url in urls:
            if name.startswith("admin:") and label != "tenant_admin":
                continue
            since = timezone.now()
            response = client.get(url)
            shown = _shown(name, response, url, markers, ids)
            if not shown:
                continue
            showing.add(name)
            if _listed(name, AUDITED_AS_EXPORT):
                continue
            audited = _people_audited(cast, since)
            missed = [people for people in shown if not people & audited]
            if missed:
                failures.append(f"{label}: {name} ({response.status_code}) shows a person "
                                "without an audit row")
        client.logout()
    assert not failures, "\n".join(failures)
    names = {name for name, _ in urls}
    silent = sorted(name for name in names - showing
                    if not _listed(name, NO_PERSON) and name not in POST_ONLY
                    and not _listed(name, AUDITED_AS_EXPORT))
    assert not silent, ("These URLs showed no person to anyone here: make the test's world "
                        f"show one, or list them in NO_PERSON with the reason: {silent}")
    listed_but_showing = sorted(name for name in showing if _listed(name, NO_PERSON))
    assert not listed_but_showing, f"In NO_PERSON but showed a person: {listed_but_showing}"


#: The triage queue's queries: the session and user (2), the tenant context and membership (4),
#: the count and the page of referrals with people, teams and PCNs joined in (2), the team and
#: PCN filters' choices (2), one audit insert, clearing the tenant context (1) and saving the
#: session (3). Raise it only for a reason you can name.
QUEUE_QUERIES = 15


def test_a_list_page_audits_every_row_in_one_insert_whatever_its_length(client, tenant_a):
    """The triage queue, with one referral waiting and then with four: the same number of
    queries, one audit insert, one row per referral shown."""
    client.force_login(tenant_a.clinician)
    make_referral(tenant_a)
    url = reverse("referrals:triage-queue")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(3):
        make_referral(tenant_a)
    since = timezone.now()
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).status_code == 200
    inserts = [q for q in four if q["sql"].startswith('INSERT INTO "pcns_auditevent"')]
    assert len(inserts) == 1
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(at__gte=since, action="view",
                                         target_type="referrals.referral").count() == 4
    assert len(four) == len(one) == QUEUE_QUERIES
