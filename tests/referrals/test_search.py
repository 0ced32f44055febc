"""Find a patient: by NHS number, by a name spelled differently, by date of birth; only the
people the user may see, others by exact NHS number only; audited; the same queries always."""

from __future__ import annotations

import datetime as dt
import logging
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent, Team
from pcns.tenancy import tenant_context
from referrals.models import Person
from tests.factories import fresh_nhs_number, make_person, make_referral

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


def _spaced(nhs_number: str) -> str:
    return f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"


def _search(client, query: str):
    return client.post(reverse("referrals:search"), {"query": query})


def _main(response) -> str:
    body = response.content.decode()
    return body[body.index("<main"):body.index("</main>")]


def _known(cast, team=None, actor=None, **person):
    """A person with a referral in the cast's PCN team (or ``team``)."""
    person = make_person(cast, **person)
    make_referral(cast, person=person, actor=actor, **({"team": team} if team else {}))
    return person


def test_the_search_page_has_its_own_address_without_the_query():
    assert reverse("referrals:search") == SEARCH


# --------------------------------------------------------------------------- finding people


def test_a_clinician_finds_a_person_of_their_team_by_nhs_number_typed_with_spaces(client,
                                                                                  tenant_a):
    person = _known(tenant_a, given_name="Robin", family_name="Hartley")
    client.force_login(tenant_a.clinician)
    response = _search(client, f" {_spaced(person.nhs_number)} ")
    assert response.status_code == 200
    main = _main(response)
    assert "1 person found" in main
    assert "HARTLEY, Robin" in main
    assert reverse("referrals:person-detail", args=[person.pk]) in main
    assert _search(client, person.nhs_number.replace("", "-")[1:-1]).status_code == 200


def test_a_name_spelled_differently_finds_the_person(client, tenant_a):
    smith = _known(tenant_a, given_name="Alex", family_name="Smith")
    thomson = _known(tenant_a, given_name="Jo", family_name="Thomson")
    _known(tenant_a, given_name="Kim", family_name="Ogunleye")
    client.force_login(tenant_a.clinician)
    for typed, wanted in [("Smyth", smith), ("alex smith", smith), ("Smith, Alex", smith),
                          ("Tomson", thomson), ("jo thompson", thomson)]:
        main = _main(_search(client, typed))
        assert wanted.family_name.upper() in main, typed
        assert "OGUNLEYE" not in main, typed


def test_the_closest_name_comes_first(client, tenant_a):
    _known(tenant_a, given_name="Alex", family_name="Smythe")
    _known(tenant_a, given_name="Alex", family_name="Smith")
    client.force_login(tenant_a.clinician)
    main = _main(_search(client, "Alex Smith"))
    assert main.index("SMITH, Alex") < main.index("SMYTHE, Alex")


def test_a_date_of_birth_in_uk_or_iso_form_finds_the_person_and_narrows_a_name(client,
                                                                              tenant_a):
    born = dt.date(1980, 12, 3)
    wanted = _known(tenant_a, given_name="Sam", family_name="Kowalski", date_of_birth=born)
    _known(tenant_a, given_name="Sam", family_name="Kowalska", date_of_birth=dt.date(1990, 1, 1))
    client.force_login(tenant_a.clinician)
    for typed in ["03/12/1980", "3/12/1980", "1980-12-03", "03.12.1980"]:
        main = _main(_search(client, typed))
        assert "KOWALSKI, Sam" in main and "KOWALSKA" not in main, typed
    both = _main(_search(client, "Kowalski 03/12/1980"))
    assert "1 person found" in both and "KOWALSKI, Sam" in both
    assert wanted.pk


def test_what_cannot_be_searched_is_refused_with_the_reason(client, tenant_a):
    client.force_login(tenant_a.clinician)
    for typed, message in [("", "Enter an NHS number, a name or a date of birth"),
                           ("943 476 5918", "This is not a valid NHS number"),
                           ("12345", "Enter an NHS number with 10 digits"),
                           ("31/02/1980", "Enter a real date of birth"),
                           ("x", "Enter at least 2 letters of a name"),
                           ("Smith 01/01/1980 02/02/1980", "Enter one date of birth"),
                           ("<script>", "Enter an NHS number (10 digits), a name")]:
        response = _search(client, typed)
        assert response.status_code == 400, typed
        assert message in response.content.decode(), typed


# --------------------------------------------------------------------------- scope


def test_people_of_other_teams_are_not_found_by_name_or_date_of_birth(client, tenant_a):
    elsewhere = _known(tenant_a, team=tenant_a.other_pcn_team, actor=tenant_a.other_clinician,
                       given_name="Morgan", family_name="Featherstone",
                       date_of_birth=dt.date(1971, 5, 6))
    client.force_login(tenant_a.clinician)
    for typed in ["Featherstone", "Morgan Featherstone", "06/05/1971"]:
        main = _main(_search(client, typed))
        assert "No one found" in main and "FEATHERSTONE" not in main, typed
    client.force_login(tenant_a.other_clinician)
    assert "FEATHERSTONE, Morgan" in _main(_search(client, "Featherstone"))
    assert elsewhere.pk


def test_a_person_known_only_to_another_team_is_found_by_exact_nhs_number_with_whom_to_ask(
        client, tenant_a):
    person = _known(tenant_a, team=tenant_a.other_pcn_team, actor=tenant_a.other_clinician,
                    given_name="Morgan", family_name="Featherstone",
                    date_of_birth=dt.date(1971, 5, 6), postcode="S1 2HE")
    with tenant_context(tenant_a.tenant.pk):
        lead = tenant_a.team_lead.membership
        lead.teams.add(tenant_a.other_pcn_team, through_defaults={"tenant": tenant_a.tenant})
    client.force_login(tenant_a.clinician)
    main = _main(_search(client, _spaced(person.nhs_number)))
    assert "Known to another team" in main
    assert tenant_a.other_pcn_team.name in main
    assert tenant_a.team_lead.email in main
    # Just enough for a warm handover: nothing about the person themselves.
    for detail in ["Featherstone", "FEATHERSTONE", "Morgan", "1971", "S1 2HE",
                   str(person.pk)]:
        assert detail not in main, detail


def test_peer_support_and_connectors_are_not_told_which_teams_know_a_number(client, tenant_a):
    person = _known(tenant_a, team=tenant_a.other_pcn_team, actor=tenant_a.other_clinician)
    for label in ("peer_support", "connector"):
        client.force_login(tenant_a.users[label])
        main = _main(_search(client, person.nhs_number))
        assert "Known to another team" not in main, label
        assert tenant_a.other_pcn_team.name not in main, label


def test_peer_support_match_a_duplicate_only_on_nhs_number_and_date_of_birth_together(
        tenant_a):
    from referrals import selectors

    person = _known(tenant_a, given_name="Morgan", family_name="Featherstone",
                    date_of_birth=dt.date(1971, 5, 6))
    with tenant_context(tenant_a.tenant.pk):
        def found(user, **typed):
            return [p.pk for p in selectors.possible_duplicates(user, **typed)]

        by_name = {"given_name": "Morgan", "family_name": "Featherstone",
                   "date_of_birth": person.date_of_birth}
        assert found(tenant_a.clinician, **by_name) == [person.pk]
        assert found(tenant_a.peer_support, **by_name) == []
        assert found(tenant_a.peer_support, nhs_number=person.nhs_number) == []
        assert found(tenant_a.peer_support, nhs_number=person.nhs_number,
                     date_of_birth=person.date_of_birth) == [person.pk]


def test_an_unknown_nhs_number_and_another_tenants_person_answer_the_same(client, tenant_a,
                                                                         tenant_b):
    theirs = _known(tenant_b, given_name="Rowan", family_name="Ashworth")
    unknown = fresh_nhs_number()
    client.force_login(tenant_a.clinician)
    answers = []
    for number in [unknown, theirs.nhs_number]:
        response = _search(client, _spaced(number))
        assert response.status_code == 200
        main = _main(response).replace(_spaced(number), "NUMBER")
        answers.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main))
    assert answers[0] == answers[1]
    assert "No one found" in answers[0] and "ASHWORTH" not in answers[1]
    assert "Known to another team" not in answers[1]


def test_a_record_merged_into_another_is_not_found_but_the_one_kept_is(client, tenant_a):
    # The cast's own allocated referral's person had a duplicate merged into them.
    with tenant_context(tenant_a.tenant.pk):
        kept = Person.objects.get(merged_records__isnull=False)
    client.force_login(tenant_a.clinician)
    main = _main(_search(client, kept.family_name))
    assert "1 person found" in main
    assert f"{kept.family_name.upper()}, {kept.given_name}" in main


@pytest.mark.parametrize("label", ["vcse_worker", "vcse_lead", "gp", "programme_manager",
                                   "tenant_admin"])
def test_people_without_a_clinical_role_are_refused_the_search(client, tenant_a, label):
    person = _known(tenant_a)
    client.force_login(tenant_a.users[label])
    assert client.get(SEARCH).status_code == 403
    response = _search(client, person.nhs_number)
    assert response.status_code == 403
    assert person.family_name not in response.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.post(SEARCH, {"query": "Smith"})
    assert response.status_code == 302 and "/sign-in/" in response["Location"]


# --------------------------------------------------------------------------- the search box


class _HeaderSearch(HTMLParser):
    def __init__(self):
        super().__init__()
        self.form: dict | None = None
        self.fields: dict[str, str] = {}
        self._in = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "nhsuk-header__search-form" in (a.get("class") or ""):
            self.form, self._in = a, True
        elif tag == "input" and self._in and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._in = False


def _header_search(response) -> _HeaderSearch:
    parser = _HeaderSearch()
    parser.feed(response.content.decode())
    return parser


def test_every_clinical_page_has_a_search_box_that_posts(tenant_a):
    person = _known(tenant_a, given_name="Robin", family_name="Hartley")
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant_a.clinician)
    for url in [reverse("caseload:home-clinician"), reverse("referrals:triage-queue"),
                reverse("caseload:mine"), reverse("referrals:person-detail", args=[person.pk])]:
        found = _header_search(client.get(url))
        assert found.form is not None, url
        assert found.form["method"] == "post" and found.form["action"] == SEARCH, url
        assert found.fields.get("csrfmiddlewaretoken"), url
    response = client.post(SEARCH, {**found.fields, "query": person.nhs_number})
    assert response.status_code == 200
    assert "HARTLEY, Robin" in _main(response)


@pytest.mark.parametrize("label", ["vcse_worker", "gp", "programme_manager", "tenant_admin"])
def test_people_without_a_clinical_role_have_no_search_box(client, tenant_a, label):
    client.force_login(tenant_a.users[label])
    response = client.get(reverse("pcns:home"), follow=True)
    assert response.status_code == 200
    assert _header_search(response).form is None


def test_the_query_is_never_read_from_the_web_address(client, tenant_a):
    person = _known(tenant_a, given_name="Robin", family_name="Hartley")
    client.force_login(tenant_a.clinician)
    response = client.get(f"{SEARCH}?query={person.nhs_number}")
    assert response.status_code == 200
    assert "HARTLEY" not in response.content.decode()
    answer = _search(client, person.nhs_number)
    assert answer.status_code == 200  # the answer is the POST's own page: no redirect


# --------------------------------------------------------------------------- audit


def test_every_search_is_audited_with_its_kind_but_never_its_terms(client, tenant_a, caplog):
    person = _known(tenant_a, given_name="Robin", family_name="Hartley",
                    date_of_birth=dt.date(1979, 6, 2))
    other = _known(tenant_a, team=tenant_a.other_pcn_team, actor=tenant_a.other_clinician)
    client.force_login(tenant_a.clinician)
    typed = {"NHS number": person.nhs_number, "name": "Hartly",
             "date of birth": "02/06/1979", "name and date of birth": "Robin 02/06/1979"}
    caplog.set_level(logging.DEBUG)
    for kind, query in typed.items():
        since = timezone.now()
        _search(client, query)
        with tenant_context(tenant_a.tenant.pk):
            rows = list(AuditEvent.objects.filter(at__gte=since))
        searches = [r for r in rows if r.target_type == "patient_search"]
        assert [r.note for r in searches] == [f"by {kind}, 1 found"], kind
        shown = [r for r in rows if r.target_type == "referrals.person"]
        assert [(r.target_id, r.note) for r in shown] == [(str(person.pk), f"search by {kind}")]
        assert all(r.actor_id == tenant_a.clinician.pk for r in rows)
    # Nothing found is audited too, and so is a person known only to another team.
    _search(client, fresh_nhs_number())
    _search(client, other.nhs_number)
    with tenant_context(tenant_a.tenant.pk):
        notes = list(AuditEvent.objects.filter(target_type="patient_search")
                     .order_by("-at", "-id").values_list("note", flat=True)[:2])
        assert notes == ["by NHS number, 1 found in other teams", "by NHS number, 0 found"]
        assert AuditEvent.objects.filter(target_type="referrals.person", target_id=str(other.pk),
                                         note="search by NHS number: known to another team"
                                         ).count() == 1
        everything = " ".join(f"{e.note} {e.target_id} {e.fields}"
                              for e in AuditEvent.objects.all())
    for query in [*typed.values(), other.nhs_number, "Hartley", "Robin"]:
        assert query not in everything
        assert query not in caplog.text
    client.force_login(tenant_a.tenant_admin)
    log = client.get(reverse("referrals:audit-log")).content.decode()
    assert "Viewed patient search: by name, 1 found" in log


# --------------------------------------------------------------------------- queries


def _count_queries(client, django_assert_num_queries, query: str, expected: int) -> None:
    client.post(SEARCH, {"query": query})  # warm the session
    with django_assert_num_queries(expected):
        response = client.post(SEARCH, {"query": query})
    assert response.status_code == 200


#: A search's queries: the session and user (2), the tenant context and membership (4), the
#: people found and their visible referrals (2), one audit insert, clearing the tenant context
#: (1) and saving the session (3). Raise it only for a reason you can name.
SEARCH_QUERIES = 13
#: An NHS number known only to another team: no one found (so nothing to prefetch), then the
#: teams holding it and their leads.
ELSEWHERE_QUERIES = 14


def test_a_search_costs_the_same_queries_however_many_people_it_finds(client, tenant_a,
                                                                      django_assert_num_queries):
    client.force_login(tenant_a.clinician)
    born = dt.date(1966, 7, 7)
    _known(tenant_a, family_name="Oyelaran", date_of_birth=born)
    for query in ["Oyelaran", "07/07/1966"]:
        _count_queries(client, django_assert_num_queries, query, SEARCH_QUERIES)
    for _ in range(5):
        person = _known(tenant_a, family_name="Oyelaran", date_of_birth=born)
        make_referral(tenant_a, person=person, team=tenant_a.other_pcn_team,
                      actor=tenant_a.other_clinician)
    for query in ["Oyelaran", "07/07/1966"]:
        _count_queries(client, django_assert_num_queries, query, SEARCH_QUERIES)
    assert "6 people found" in _main(_search(client, "Oyelaran"))


def test_an_nhs_number_known_elsewhere_costs_the_same_queries_however_many_teams_hold_it(
        client, tenant_a, django_assert_num_queries):
    client.force_login(tenant_a.clinician)
    person = _known(tenant_a, team=tenant_a.other_pcn_team, actor=tenant_a.other_clinician)
    _count_queries(client, django_assert_num_queries, person.nhs_number, ELSEWHERE_QUERIES)
    with tenant_context(tenant_a.tenant.pk):
        for n in range(3):
            team = Team.objects.create(tenant=tenant_a.tenant, name=f"Extra team {n}",
                                       kind="pcn_team", host=tenant_a.pcn)
            make_referral(tenant_a, person=person, team=team, actor=tenant_a.other_clinician)
    _count_queries(client, django_assert_num_queries, person.nhs_number, ELSEWHERE_QUERIES)
    assert "Extra team 2" in _main(_search(client, person.nhs_number))
