"""The referral pages: intake, queue, triage, allocation, timeline, MDT list, GP view, merges."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services
from referrals.models import IntakeRefusal, Person, Referral
from tests.factories import (
    fresh_nhs_number,
    let_non_clinical_roles_see_the_team,
    make_person,
    make_referral,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}


def _intake_post(cast, **overrides) -> dict:
    data = {
        "nhs_number": fresh_nhs_number(), "given_name": "Robin", "family_name": "Hartley",
        **_date("date_of_birth", dt.date(1979, 6, 2)), "sex": "male", "gender": "male",
        "ethnicity": "H", "postcode": "S1 2HE", "registered_practice": str(cast.practice.pk),
        "phone": "07700 900456", "preferred_contact_method": "telephone",
        "team": str(cast.pcn_team.pk), **_date("received_on", TODAY - dt.timedelta(days=2)),
        "source": "gp", "referrer_name": "Dr Okafor",
        "referrer_organisation": str(cast.practice.pk), "urgency": "urgent",
        "presenting_needs": ["anxiety", "housing"], "reason": "Struggling since losing work",
    }
    data.update(overrides)
    return data


def _counts(cast):
    with tenant_context(cast.tenant.pk):
        return Person.objects.count(), Referral.objects.count()


# --------------------------------------------------------------------------- intake


def test_a_clinician_records_a_referral_for_a_new_person(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:new"), _intake_post(tenant_a))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(person__family_name="Hartley")
        assert response["Location"] == reverse("referrals:detail", args=[referral.pk])
        assert referral.urgency == "urgent" and referral.presenting_needs == ["anxiety", "housing"]
        assert referral.person.imd_decile == 3
    page = client.get(response["Location"])
    assert "Robin Hartley" in page.content.decode() and "Awaiting triage" in page.content.decode()


def test_bad_input_is_shown_inline_and_nothing_is_saved(client, tenant_a):
    client.force_login(tenant_a.clinician)
    before = _counts(tenant_a)
    response = client.post(reverse("referrals:new"), _intake_post(
        tenant_a, nhs_number="943 476 5918",
        **_date("received_on", TODAY + dt.timedelta(days=5)),
    ))
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "This is not a valid NHS number" in html
    assert "The date received cannot be in the future." in html
    assert 'href="#nhs_number"' in html
    assert _counts(tenant_a) == before


def test_an_impossible_date_gets_a_clear_message(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:new"), _intake_post(
        tenant_a, **{"date_of_birth-day": "31", "date_of_birth-month": "2"}))
    assert "The date of birth must be a real date." in response.content.decode()


def test_possible_duplicates_are_offered_before_a_new_record_is_made(client, tenant_a):
    existing = make_person(tenant_a, given_name="Robin", family_name="Hartley",
                           date_of_birth=dt.date(1979, 6, 2))
    client.force_login(tenant_a.clinician)
    before = _counts(tenant_a)
    data = _intake_post(tenant_a, nhs_number="", nhs_number_missing_reason="not_yet_traced",
                        given_name="Robyn")
    offered = client.post(reverse("referrals:new"), data)
    html = offered.content.decode()
    assert "This person may already be recorded" in html
    assert "match a record already held" in html and "Check before creating a new one" in html
    assert f'value="{existing.pk}"' in html
    assert _counts(tenant_a) == before

    chosen = client.post(reverse("referrals:new"), {**data, "person_choice": str(existing.pk)})
    assert chosen.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.filter(person=existing).count() == 1
        assert Person.objects.count() == before[0]


def test_a_new_record_is_made_when_the_user_says_none_match(client, tenant_a):
    make_person(tenant_a, given_name="Robin", family_name="Hartley",
                date_of_birth=dt.date(1979, 6, 2))
    client.force_login(tenant_a.clinician)
    before = _counts(tenant_a)
    data = _intake_post(tenant_a, person_choice="new")
    assert client.post(reverse("referrals:new"), data).status_code == 302
    assert _counts(tenant_a) == (before[0] + 1, before[1] + 1)


def test_a_duplicate_open_referral_is_refused_with_a_link_to_it(client, tenant_a):
    first = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:new"), {
        "person_choice": str(first.person.pk), "team": str(tenant_a.pcn_team.pk),
        **_date("received_on", TODAY), "source": "self", "urgency": "routine",
        "presenting_needs": ["low_mood"],
    })
    assert response.status_code == 400
    assert reverse("referrals:detail", args=[first.pk]) in response.content.decode()


def test_a_paused_team_refuses_the_referral_and_says_why(client, tenant_a):
    client.force_login(tenant_a.clinician)
    refusals = IntakeRefusal.objects.count
    with tenant_context(tenant_a.tenant.pk):
        before = refusals()
    response = client.post(reverse("referrals:new"), _intake_post(
        tenant_a, **_date("received_on", dt.date(2021, 9, 15))))
    assert response.status_code == 400
    assert "is not taking new referrals until 31/10/2021" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert refusals() == before + 1


def test_people_without_a_caseload_role_cannot_record_referrals(client, tenant_a):
    for label in ["gp", "vcse_worker", "programme_manager"]:
        client.force_login(tenant_a.users[label])
        assert client.get(reverse("referrals:new")).status_code == 403


# --------------------------------------------------------------------------- triage queue


def test_the_queue_shows_the_most_urgent_then_the_longest_waiting_first(client, tenant_a):
    def referral(name: str, days: int, urgency: str = "routine"):
        person = make_person(tenant_a, given_name=name, family_name="Queueorder")
        return make_referral(tenant_a, person=person, urgency=urgency,
                             received_on=TODAY - dt.timedelta(days=days))

    referral("Fifteen", 15)
    referral("Forty", 40)
    referral("One", 1, urgency="urgent")
    referral("Two", 2)
    client.force_login(tenant_a.team_lead)
    html = client.get(reverse("referrals:triage-queue")).content.decode()
    names = ["One Queueorder", "Forty Queueorder", "Fifteen Queueorder", "Two Queueorder"]
    positions = [html.index(f">{name}<") for name in names]
    assert positions == sorted(positions)
    assert "40 days" in html and "nhsuk-tag--red" in html  # highlighted at 28+
    assert "15 days" in html and "nhsuk-tag--orange" in html  # highlighted at 14+


def test_the_queue_filters_by_urgency_source_and_waiting_band(client, tenant_a):
    old = make_referral(tenant_a, received_on=TODAY - dt.timedelta(days=30), source="self")
    new = make_referral(tenant_a, received_on=TODAY, urgency="urgent")
    client.force_login(tenant_a.team_lead)
    url = reverse("referrals:triage-queue")
    html = client.get(url, {"waiting": "28_plus"}).content.decode()
    assert str(old.person) in html and str(new.person) not in html
    html = client.get(url, {"urgency": "urgent"}).content.decode()
    assert str(new.person) in html and str(old.person) not in html
    html = client.get(url, {"source": "self"}).content.decode()
    assert str(old.person) in html and str(new.person) not in html


def test_another_teams_clinician_does_not_see_the_referral_in_their_queue(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.other_clinician)
    response = client.get(reverse("referrals:triage-queue"))
    assert response.status_code == 200
    assert str(referral.person) not in response.content.decode()


def _queue_queries(client, tenant, user) -> int:
    client.force_login(user)
    client.get(reverse("referrals:triage-queue"))  # warm the session and the membership
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("referrals:triage-queue"))
    assert response.status_code == 200
    return len(queries)


def test_the_queue_takes_the_same_number_of_queries_for_2_or_25_referrals(client, tenant_a):
    for _ in range(2):
        make_referral(tenant_a)
    few = _queue_queries(client, tenant_a, tenant_a.team_lead)
    for _ in range(23):
        make_referral(tenant_a)
    many = _queue_queries(client, tenant_a, tenant_a.team_lead)
    assert few == many
    assert many <= 16


def test_the_queue_is_paginated(client, tenant_a):
    for _ in range(27):
        make_referral(tenant_a)
    client.force_login(tenant_a.team_lead)
    first = client.get(reverse("referrals:triage-queue")).content.decode()
    assert "Page 2 of 2" in first
    second = client.get(reverse("referrals:triage-queue"), {"page": 2}).content.decode()
    assert second.count('class="nhsuk-table__row"') == 2


# --------------------------------------------------------------------------- triage decisions


def _triage(client, referral, **data):
    return client.post(reverse("referrals:triage", args=[referral.pk]),
                       {"version": referral.version, **data})


def test_a_lead_accepts_a_referral(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.team_lead)
    response = _triage(client, referral, decision="accept", team=str(tenant_a.pcn_team.pk),
                       urgency="urgent")
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
    assert (referral.status, referral.urgency) == ("accepted", "urgent")


def test_a_redirect_needs_a_handover_and_is_shown_on_the_timeline(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    missing = _triage(client, referral, decision="redirect", destination="crisis")
    assert missing.status_code == 400
    assert "Describe the handover" in missing.content.decode()
    nowhere = _triage(client, referral, decision="redirect", redirect_note="Spoke to Jo")
    assert "Choose where to redirect the referral." in nowhere.content.decode()
    _triage(client, referral, decision="redirect", destination="crisis",
            redirect_note="Spoke to Jo in the crisis team, seen tonight")
    timeline = client.get(reverse("referrals:timeline", args=[referral.pk])).content.decode()
    assert "Redirected to Crisis team" in timeline
    assert "Spoke to Jo in the crisis team" in timeline


def test_an_error_in_one_decision_leaves_the_accept_form_as_the_referral_is(client, tenant_a):
    # The referral's team is not the first in the list: a blank would show (and accept into)
    # the first one.
    team = tenant_a.other_pcn_team
    referral = make_referral(tenant_a, team=team, urgency="urgent")
    client.force_login(tenant_a.other_clinician)
    page = _triage(client, referral, decision="redirect", destination="crisis")
    assert page.status_code == 400
    accept = page.content.decode().split('id="decision-accept"')[1].split("</form>")[0]
    selected = re.findall(r'<option value="([^"]+)"\s+selected', accept)
    assert selected == [str(team.pk)]
    checked = re.findall(r'value="(\w+)"\s+checked', accept)
    assert checked == ["urgent"]
    redirect = page.content.decode().split('id="decision-redirect"')[1].split("</form>")[0]
    assert re.search(r'value="crisis"\s+checked', redirect)  # what was sent stays


def test_rejecting_asks_for_confirmation_first(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.team_lead)
    asked = _triage(client, referral, decision="reject", rejection_reason="not_eligible")
    assert "Are you sure you want to reject this referral?" in asked.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.get(pk=referral.pk).status == "awaiting_triage"
    done = _triage(client, referral, decision="reject", rejection_reason="not_eligible",
                   confirmed="true")
    assert done.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.get(pk=referral.pk).status == "rejected"


def test_a_flagged_referral_is_on_the_teams_mdt_list(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    _triage(client, referral, decision="mdt", mdt_note="Complex housing and risk history")
    html = client.get(reverse("referrals:mdt-list", args=[tenant_a.pcn_team.pk])).content.decode()
    assert str(referral.person) in html and "Complex housing and risk history" in html


def test_the_second_of_two_triagers_is_told_to_reload(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.team_lead)
    assert _triage(client, referral, decision="accept").status_code == 302
    client.force_login(tenant_a.clinician)
    stale = _triage(client, referral, decision="mdt", mdt_note="Discuss")
    assert stale.status_code == 409
    assert "Someone else changed this referral" in stale.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.get(pk=referral.pk).status == "accepted"


def test_an_illegal_transition_is_refused_with_a_message(client, tenant_a):
    referral = make_referral(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral = services.referral_redirect(referral=referral, actor=tenant_a.clinician,
                                              version=referral.version, destination="vcse",
                                              note="Passed to Mind")
    client.force_login(tenant_a.team_lead)
    response = _triage(client, referral, decision="accept")
    assert response.status_code == 400
    assert "This referral is redirected, so it cannot be accepted." in response.content.decode()


def test_peer_support_workers_can_see_but_not_triage(client, tenant_a):
    let_non_clinical_roles_see_the_team(tenant_a)  # else it is not theirs to see
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.peer_support)
    assert client.get(reverse("referrals:detail", args=[referral.pk])).status_code == 200
    assert client.get(reverse("referrals:triage", args=[referral.pk])).status_code == 403
    assert _triage(client, referral, decision="accept").status_code == 403


def test_a_clinician_of_another_team_can_neither_see_nor_act(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.other_clinician)
    for name in ["detail", "timeline", "triage", "allocate"]:
        assert client.get(reverse(f"referrals:{name}", args=[referral.pk])).status_code == 404
    assert _triage(client, referral, decision="accept").status_code == 404


# --------------------------------------------------------------------------- allocation


def _accepted(cast):
    referral = make_referral(cast)
    with tenant_context(cast.tenant.pk):
        accepted = services.referral_accept(referral=referral, actor=cast.team_lead,
                                            version=referral.version)
        accepted.person  # noqa: B018 - load it while the tenant context is active
        return accepted


def test_allocation_shows_each_candidates_caseload_and_lands_in_their_caseload(client, tenant_a):
    referral = _accepted(tenant_a)
    client.force_login(tenant_a.team_lead)
    page = client.get(reverse("referrals:allocate", args=[referral.pk])).content.decode()
    # The cast already holds one referral for the clinician (named) and peer support (joint).
    assert "Caseload: 1 as named worker, 0 as joint worker" in page
    assert "Caseload: 0 as named worker, 1 as joint worker" in page
    response = client.post(reverse("referrals:allocate", args=[referral.pk]), {
        "version": referral.version, "worker": str(tenant_a.clinician.membership.pk),
        "joint_workers": [str(tenant_a.connector.membership.pk)],
    })
    assert response.status_code == 302
    client.force_login(tenant_a.clinician)
    caseload = client.get(reverse("caseload:mine")).content.decode()
    assert str(referral.person) in caseload and "Allocated, awaiting assessment" in caseload
    client.force_login(tenant_a.connector)
    assert "Joint worker" in client.get(reverse("caseload:mine")).content.decode()


def test_choosing_no_worker_is_an_inline_error(client, tenant_a):
    referral = _accepted(tenant_a)
    client.force_login(tenant_a.team_lead)
    response = client.post(reverse("referrals:allocate", args=[referral.pk]),
                           {"version": referral.version})
    assert response.status_code == 400
    assert "Choose the named worker." in response.content.decode()


# --------------------------------------------------------------------------- GP, people, audit


def test_practice_staff_see_their_practices_referrals_and_status_only(client, tenant_a):
    ours = make_referral(tenant_a)
    theirs = make_referral(tenant_a, referrer_organisation=None)
    client.force_login(tenant_a.gp)
    html = client.get(reverse("referrals:practice-list")).content.decode()
    assert str(ours.person) in html and "Awaiting triage" in html
    assert str(theirs.person) not in html
    assert client.get(reverse("referrals:detail", args=[ours.pk])).status_code == 404
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("referrals:practice-list")).status_code == 403


def test_viewing_a_person_or_a_referral_is_written_to_the_audit_log(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    client.get(reverse("referrals:person-detail", args=[referral.person.pk]))
    client.get(reverse("referrals:detail", args=[referral.pk]))
    with tenant_context(tenant_a.tenant.pk):
        views = AuditEvent.objects.filter(action="view", actor=tenant_a.clinician)
        assert set(views.values_list("target_id", flat=True)) == {
            str(referral.person.pk), str(referral.pk)}


def test_an_administrator_merges_a_duplicate_and_can_undo_it(client, tenant_a):
    kept = make_referral(tenant_a).person
    duplicate = make_person(tenant_a, nhs_number="", nhs_number_missing_reason="not_yet_traced",
                            given_name=kept.given_name, family_name=kept.family_name,
                            date_of_birth=kept.date_of_birth)
    client.force_login(tenant_a.tenant_admin)
    page = client.get(reverse("referrals:person-merge", args=[kept.pk])).content.decode()
    assert f'value="{duplicate.pk}"' in page
    response = client.post(reverse("referrals:person-merge", args=[kept.pk]),
                           {"other": str(duplicate.pk), "reason": "Same person, NHS number traced"})
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        merge = duplicate.merges_merged.get()
        assert Person.objects.get(pk=duplicate.pk).merged_into_id == kept.pk
    client.post(reverse("referrals:merge-undo", args=[merge.pk]))
    with tenant_context(tenant_a.tenant.pk):
        assert Person.objects.get(pk=duplicate.pk).merged_into_id is None
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("referrals:person-merge", args=[kept.pk])).status_code == 403


def test_a_fresh_form_shows_no_errors(client, tenant_a):
    referral = make_referral(tenant_a)
    client.force_login(tenant_a.team_lead)
    for url in [reverse("referrals:new"), reverse("referrals:triage", args=[referral.pk])]:
        html = client.get(url).content.decode()
        assert "nhsuk-form-group--error" not in html and "nhsuk-error-message" not in html, url


def test_an_absurd_date_is_a_clear_error_not_a_crash(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:new"), _intake_post(
        tenant_a, **{"date_of_birth-month": "99999999999999999999"}))
    assert response.status_code == 400
    assert "The date of birth must be a real date." in response.content.decode()


def test_a_person_known_to_another_team_can_be_chosen_and_the_form_resubmitted(
    client, tenant_a
):
    known = make_referral(tenant_a, team=tenant_a.other_pcn_team,
                          actor=tenant_a.other_clinician).person
    client.force_login(tenant_a.clinician)
    typed = _intake_post(tenant_a, nhs_number=known.nhs_number, given_name=known.given_name,
                         family_name=known.family_name,
                         **_date("date_of_birth", known.date_of_birth))
    offered = client.post(reverse("referrals:new"), typed)
    assert f'value="{known.pk}"' in offered.content.decode()
    chosen = {**typed, "person_choice": str(known.pk), "presenting_needs": []}
    first = client.post(reverse("referrals:new"), chosen)
    assert first.status_code == 400
    assert "Choose at least one presenting need." in first.content.decode()
    # Resubmit what the page now holds: its hidden fields plus the corrected need.
    html = first.content.decode()
    assert f'name="nhs_number" value="{known.nhs_number}"' in html
    resubmitted = {key: typed[key] for key in typed if key.startswith(("nhs_number",
                   "given_name", "family_name", "date_of_birth"))}
    resubmitted.update({key: typed[key] for key in ["team", "source", "urgency"]},
                       **_date("received_on", TODAY), person_choice=str(known.pk),
                       presenting_needs=["anxiety"])
    assert client.post(reverse("referrals:new"), resubmitted).status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert Referral.objects.filter(person=known, team=tenant_a.pcn_team).exists()
