"""The team lead's duty view and the clinician's home: each figure right, each a link to the
list behind it, a constant number of queries, and the staff table on the team page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseload import duty
from caseload import services as care_services
from caseload.models import RiskConcern
from pcns.models import AuditEvent, Team, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import Cast, make_person, make_referral

pytestmark = pytest.mark.django_db


def _ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def _loaded(cast: Cast, referral: Referral) -> Referral:
    with tenant_context(cast.tenant.pk):
        return Referral.objects.select_related("person").get(pk=referral.pk)


def _accepted(cast: Cast, days: int, **overrides) -> Referral:
    referral = make_referral(cast, received_on=_ago(days), **overrides)
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version)
    return _loaded(cast, referral)


def _allocated(cast: Cast, days: int, worker=None, **overrides) -> Referral:
    referral = _accepted(cast, days, **overrides)
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=(worker or cast.clinician).membership)
    return _loaded(cast, referral)


def _care(cast: Cast, referral: Referral, on: dt.date, *, outcome: bool = True) -> None:
    """A qualifying contact, an assessment, an intervention and (unless not) a baseline
    outcome measure, all on ``on``: the four components of the clock stop."""
    clinician = cast.clinician
    with tenant_context(cast.tenant.pk):
        contact = care_services.contact_record(
            actor=clinician, referral=referral,
            data=care_services.ContactInput(on=on, mode="face_to_face", attendance="attended",
                                            purpose="assessment", duration_minutes=50))
        care_services.assessment_record(
            referral=referral, actor=clinician,
            data=care_services.AssessmentInput(kind="initial", assessed_on=on, contact=contact,
                                               summary="Low mood", risk_summary="No risk"))
        care_services.intervention_start(
            referral=referral, actor=clinician,
            data=care_services.InterventionInput(kind="psychosocial", started_on=on))
        if outcome:
            care_services.outcome_record(referral=referral, actor=clinician, tool="phq9",
                                         completed_on=on, items=[1, 1, 1, 1, 1, 0, 1, 0, 0])


def _plan(cast: Cast, referral: Referral, *, agreed_on: dt.date, review_by: dt.date | None,
          version: int | None = None) -> None:
    with tenant_context(cast.tenant.pk):
        care_services.care_plan_save(
            referral=referral, actor=cast.clinician, version=version,
            data=care_services.CarePlanInput(
                goals=["Sleep better"], co_produced_with=["person"], agreed_on=agreed_on,
                review_by=review_by, review_trigger="If things change",
                safety_plan="Crisis line 0800 000 0000"))


def _discharge(cast: Cast, referral: Referral, on: dt.date) -> Referral:
    with tenant_context(cast.tenant.pk):
        referral.refresh_from_db()
        return care_services.referral_discharge(referral=referral, actor=cast.team_lead,
                                                version=referral.version, reason="goals_met",
                                                on=on)


def _figures(cast: Cast, team: Team | None = None) -> duty.TeamDuty:
    with tenant_context(cast.tenant.pk):
        team = team or cast.pcn_team
        return duty.team_duty([team])[0]


def _home(client, cast: Cast) -> str:
    client.force_login(cast.team_lead)
    response = client.get(reverse("caseload:home-team-lead"))
    assert response.status_code == 200
    return response.content.decode()


def _links(body: str) -> dict[str, str]:
    """The duty view's figure links by their visually hidden label: {label: href}."""
    found = re.findall(r'<a href="([^"]+)" data-figure="\w+">(\d+)<span class="nhsuk-u-'
                       r'visually-hidden"> ([^<]+)</span>', body)
    return {label: (href.replace("&amp;", "&"), int(count)) for href, count, label in found}


# --------------------------------------------------------------------------- the figures


def test_the_triage_backlog_counts_by_urgency_and_by_days_waiting(tenant_a, tenant_b):
    make_referral(tenant_a, received_on=_ago(0), urgency="emergency")
    make_referral(tenant_a, received_on=_ago(13), urgency="urgent")
    make_referral(tenant_a, received_on=_ago(14))
    make_referral(tenant_a, received_on=_ago(27))
    make_referral(tenant_a, received_on=_ago(28))
    _accepted(tenant_a, 40)  # triaged: not in the backlog
    make_referral(tenant_a, received_on=_ago(40), team=tenant_a.other_pcn_team)  # another team
    make_referral(tenant_b, received_on=_ago(40))  # another tenant
    figures = _figures(tenant_a)
    assert figures.untriaged == 5
    assert figures.by_urgency == {"emergency": 1, "urgent": 1, "routine": 3}
    assert figures.by_band == {"under_14": 2, "14_to_27": 2, "28_plus": 1}


def test_open_alerts_count_the_teams_unacknowledged_risk_concerns(tenant_a, tenant_b):
    # The cast has one open concern on its allocated referral in the PCN team.
    referral = _allocated(tenant_a, 10)
    other = _allocated(tenant_a, 10, team=tenant_a.other_pcn_team,
                       worker=tenant_a.other_clinician)
    with tenant_context(tenant_a.tenant.pk):
        care_services.risk_concern_raise(referral=referral, actor=tenant_a.clinician,
                                         concern="Said they feel hopeless")
        done = care_services.risk_concern_raise(referral=referral, actor=tenant_a.clinician,
                                                concern="Missed medication")
        care_services.risk_concern_acknowledge(concern=done, actor=tenant_a.team_lead,
                                               version=done.version, response="Called GP")
        care_services.risk_concern_raise(referral=other, actor=tenant_a.other_clinician,
                                          concern="Another team's concern")
    with tenant_context(tenant_b.tenant.pk):
        assert RiskConcern.objects.filter(acknowledged_at__isnull=True).count() == 1
    assert _figures(tenant_a).open_alerts == 2


def test_unallocated_counts_accepted_referrals_waiting_for_a_worker(tenant_a, tenant_b):
    _accepted(tenant_a, 5)
    _accepted(tenant_a, 50)
    _allocated(tenant_a, 5)
    make_referral(tenant_a, received_on=_ago(5))  # still awaiting triage
    _accepted(tenant_a, 5, team=tenant_a.other_pcn_team)
    _accepted(tenant_b, 5)
    assert _figures(tenant_a).unallocated == 2


def test_over_four_weeks_counts_from_the_29th_day_until_the_clock_stops(tenant_a, tenant_b):
    make_referral(tenant_a, received_on=_ago(28))  # day 28: within 4 weeks
    day_29 = make_referral(tenant_a, received_on=_ago(29))
    stopped = _allocated(tenant_a, 40)
    _care(tenant_a, stopped, _ago(20))
    partial = _allocated(tenant_a, 40)
    _care(tenant_a, partial, _ago(20), outcome=False)  # no baseline outcome: still waiting
    discharged = _allocated(tenant_a, 60)
    _discharge(tenant_a, discharged, _ago(2))
    make_referral(tenant_a, received_on=_ago(40), team=tenant_a.other_pcn_team)
    make_referral(tenant_b, received_on=_ago(40))
    figures = _figures(tenant_a)
    assert figures.over_four_weeks == 2
    with tenant_context(tenant_a.tenant.pk):
        listed = {r.pk for r in duty.team_list(tenant_a.pcn_team, "over-4-weeks")}
    assert listed == {day_29.pk, partial.pk}


def test_a_contact_entered_in_error_no_longer_stops_the_clock(tenant_a):
    from caseload import corrections
    from caseload.models import Contact

    stopped = _allocated(tenant_a, 40)
    _care(tenant_a, stopped, _ago(20))
    assert _figures(tenant_a).over_four_weeks == 0
    with tenant_context(tenant_a.tenant.pk):
        contact = Contact.objects.get(referral=stopped)
        corrections.care_record_enter_in_error(record=contact, actor=tenant_a.clinician,
                                               version=contact.version,
                                               reason="Recorded against the wrong person")
    assert _figures(tenant_a).over_four_weeks == 1


def test_an_overdue_review_entered_in_error_gives_way_to_the_version_before(tenant_a):
    from caseload import corrections
    from caseload.models import CarePlanVersion

    referral = _allocated(tenant_a, 30)
    _plan(tenant_a, referral, agreed_on=_ago(20), review_by=_ago(40) + dt.timedelta(days=60))
    _plan(tenant_a, referral, agreed_on=_ago(10), review_by=_ago(1), version=1)
    assert _figures(tenant_a).reviews_overdue == 1
    with tenant_context(tenant_a.tenant.pk):
        latest = CarePlanVersion.objects.get(plan__referral=referral, number=2)
        corrections.care_record_enter_in_error(record=latest, actor=tenant_a.team_lead,
                                               version=None, reason="Another person's plan")
    assert _figures(tenant_a).reviews_overdue == 0


def test_a_referral_soon_after_a_discharge_carries_on_the_spells_clock(tenant_a):
    """METRICS.md: a referral received within 5 days of the spell's end joins the spell, so
    its clock started with the first referral; one received later starts a new clock."""
    person = make_person(tenant_a)
    first = _accepted(tenant_a, 60, person=person, team=tenant_a.other_pcn_team)
    _discharge(tenant_a, first, _ago(20))
    again = make_referral(tenant_a, person=person, received_on=_ago(16))
    assert _figures(tenant_a).over_four_weeks == 1
    with tenant_context(tenant_a.tenant.pk):
        [listed] = duty.team_list(tenant_a.pcn_team, "over-4-weeks")
    assert (listed.pk, listed.waited_days) == (again.pk, 60)
    later = make_person(tenant_a)
    earlier = _accepted(tenant_a, 60, person=later, team=tenant_a.other_pcn_team)
    _discharge(tenant_a, earlier, _ago(22))
    make_referral(tenant_a, person=later, received_on=_ago(16))  # 6 days after: a new spell
    assert _figures(tenant_a).over_four_weeks == 1


def test_a_child_is_not_on_the_four_week_waiting_list(tenant_a):
    child = make_person(tenant_a, date_of_birth=_ago(16 * 366))
    make_referral(tenant_a, person=child, received_on=_ago(40))
    assert _figures(tenant_a).over_four_weeks == 0


def test_overdue_reviews_count_the_latest_plan_version_of_open_referrals(tenant_a, tenant_b):
    overdue = _allocated(tenant_a, 40)
    _plan(tenant_a, overdue, agreed_on=_ago(30), review_by=_ago(1))
    due_today = _allocated(tenant_a, 40)
    _plan(tenant_a, due_today, agreed_on=_ago(30), review_by=_ago(0))
    reviewed = _allocated(tenant_a, 40)
    _plan(tenant_a, reviewed, agreed_on=_ago(30), review_by=_ago(5))
    _plan(tenant_a, reviewed, agreed_on=_ago(3), review_by=_ago(-60), version=1)
    discharged = _allocated(tenant_a, 40)
    _plan(tenant_a, discharged, agreed_on=_ago(30), review_by=_ago(10))
    _discharge(tenant_a, discharged, _ago(1))
    elsewhere = _allocated(tenant_a, 40, team=tenant_a.other_pcn_team,
                           worker=tenant_a.other_clinician)
    _plan(tenant_a, elsewhere, agreed_on=_ago(30), review_by=_ago(1))
    away = _allocated(tenant_b, 40)
    _plan(tenant_b, away, agreed_on=_ago(30), review_by=_ago(1))
    assert _figures(tenant_a).reviews_overdue == 1
    with tenant_context(tenant_a.tenant.pk):
        assert list(duty.team_list(tenant_a.pcn_team, "review-overdue")) == [overdue]


# --------------------------------------------------------------------------- the page and links


def test_the_duty_view_shows_each_figure_as_a_link_to_the_list_behind_it(client, tenant_a):
    emergency = make_referral(tenant_a, received_on=_ago(1), urgency="emergency")
    routine = make_referral(tenant_a, received_on=_ago(30))
    unallocated = _accepted(tenant_a, 3)
    overdue = _allocated(tenant_a, 10)
    _plan(tenant_a, overdue, agreed_on=_ago(9), review_by=_ago(1))
    links = _links(_home(client, tenant_a))
    team = tenant_a.pcn_team.name
    expected = {
        f"emergency in {team}": ([emergency], 1),
        f"routine in {team}": ([routine], 1),
        f"waiting 28 days or more in {team}": ([routine], 1),
        f"accepted, waiting to be allocated in {team}": ([unallocated], 1),
        f"people waiting over 4 weeks (28 days) without a clock stop in {team}": ([routine], 1),
        f"care plan reviews overdue in {team}": ([overdue], 1),
    }
    for label, (referrals, count) in expected.items():
        href, shown = links[label]
        assert shown == count, label
        assert "person" not in href and str(referrals[0].person_id) not in href
        body = client.get(href).content.decode()
        for referral in referrals:
            assert referral.person.family_name in body, label
    href, shown = links[f"open alerts and risk concerns in {team}"]
    assert shown == 2  # the cast's concern, and the alert the emergency referral raised
    concerns = client.get(href).content.decode()
    assert "Mentioned money worries" in concerns and "Emergency referral received" in concerns


def test_the_lists_behind_the_figures_leave_out_what_they_do_not_count(client, tenant_a):
    emergency = make_referral(tenant_a, received_on=_ago(1), urgency="emergency")
    routine = make_referral(tenant_a, received_on=_ago(1))
    links = _links(_home(client, tenant_a))
    body = client.get(links[f"emergency in {tenant_a.pcn_team.name}"][0]).content.decode()
    assert emergency.person.family_name in body and routine.person.family_name not in body
    with tenant_context(tenant_a.tenant.pk):
        allocated = Referral.objects.select_related("person").get(
            tenant=tenant_a.tenant, status__in=["allocated", "active"])
    body = client.get(links[f"accepted, waiting to be allocated in {tenant_a.pcn_team.name}"][0])
    assert allocated.person.family_name not in body.content.decode()


def test_the_risk_concerns_page_filters_by_team_and_open(client, tenant_a):
    referral = _allocated(tenant_a, 10)
    with tenant_context(tenant_a.tenant.pk):
        done = care_services.risk_concern_raise(referral=referral, actor=tenant_a.clinician,
                                                concern="Acknowledged already")
        care_services.risk_concern_acknowledge(concern=done, actor=tenant_a.team_lead,
                                               version=done.version, response="Done")
    client.force_login(tenant_a.team_lead)
    url = reverse("caseload:risk-concerns")
    everything = client.get(url).content.decode()
    assert "Acknowledged already" in everything and "Mentioned money worries" in everything
    open_only = client.get(url, {"team": tenant_a.pcn_team.pk, "status": "open"}).content
    assert "Acknowledged already" not in open_only.decode()
    assert "Mentioned money worries" in open_only.decode()


def test_a_lead_lands_on_the_duty_view_and_each_home_refuses_other_roles(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    assert client.get(reverse("pcns:home"))["Location"] == reverse("caseload:home-team-lead")
    for label in ("clinician", "vcse_worker", "gp", "programme_manager"):
        client.force_login(tenant_a.users[label])
        assert client.get(reverse("caseload:home-team-lead")).status_code == 403, label
    for label in ("vcse_worker", "vcse_lead", "gp", "programme_manager", "tenant_admin"):
        client.force_login(tenant_a.users[label])
        assert client.get(reverse("caseload:home-clinician")).status_code == 403, label


def test_another_tenants_lead_sees_only_their_own_figures(client, tenant_a, tenant_b):
    make_referral(tenant_a, received_on=_ago(40), urgency="emergency")
    links = _links(_home(client, tenant_b))
    assert links[f"emergency in {tenant_b.pcn_team.name}"][1] == 0
    assert tenant_a.pcn_team.name not in _home(client, tenant_b)


#: The duty view's queries: the session and user (2), the tenant context and membership (4), the
#: teams led (1), the five figures for all of them (backlog, alerts, unallocated, overdue
#: reviews, the 4-week clocks), clearing the tenant context (1) and saving the session (3).
#: Raise it only for a reason you can name.
LEAD_HOME_QUERIES = 16
#: The clinician's home: the same shell (2 + 4 + 1 + 3), the overdue reviews (1), the caseload's
#: ids (1), their clocks (1), the longest waiting with their people (1), the teams (1) and one
#: audit insert (1).
CLINICIAN_HOME_QUERIES = 16


def _lead_also_leads(cast: Cast, *teams: Team) -> None:
    with tenant_context(cast.tenant.pk):
        for team in teams:
            TeamMembership.objects.create(tenant=cast.tenant, team=team,
                                          membership=cast.team_lead.membership)


def test_the_duty_view_takes_the_same_queries_whatever_the_number_of_teams_or_referrals(
        client, tenant_a):
    client.force_login(tenant_a.team_lead)
    url = reverse("caseload:home-team-lead")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    with tenant_context(tenant_a.tenant.pk):
        third = Team.objects.create(tenant=tenant_a.tenant, name="Northtown East MHT",
                                    kind="pcn_team", host=tenant_a.pcn)
    _lead_also_leads(tenant_a, tenant_a.other_pcn_team, third)
    for team in (tenant_a.pcn_team, tenant_a.other_pcn_team, third):
        make_referral(tenant_a, received_on=_ago(40), team=team, urgency="urgent")
        _accepted(tenant_a, 3, team=team)
        overdue = _allocated(tenant_a, 35, team=team, worker=tenant_a.team_lead)
        _plan(tenant_a, overdue, agreed_on=_ago(30), review_by=_ago(2))
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert third.name in body and tenant_a.other_pcn_team.name in body
    assert len(many) == len(one) == LEAD_HOME_QUERIES, [q["sql"][:80] for q in many]


# --------------------------------------------------------------------------- the staff table


def test_the_staff_table_is_on_the_team_page_not_the_duty_view(client, tenant_a):
    body = _home(client, tenant_a)
    assert "Northtown Trust" not in body and "0.80" not in body
    team_page = client.get(reverse("pcns:team-detail", args=[tenant_a.pcn_team.pk]))
    text = team_page.content.decode()
    assert "Clinician" in text and "Northtown Trust" in text and "0.80" in text


# --------------------------------------------------------------------------- a clinician's home


def test_a_clinicians_home_shows_their_overdue_reviews_and_who_waits_longest(client, tenant_a):
    overdue = _allocated(tenant_a, 20)
    _plan(tenant_a, overdue, agreed_on=_ago(15), review_by=_ago(3))
    oldest = _allocated(tenant_a, 70)
    newer = _allocated(tenant_a, 35)
    _care(tenant_a, newer, _ago(30), outcome=False)
    stopped = _allocated(tenant_a, 80)
    _care(tenant_a, stopped, _ago(60))
    someone_elses = _allocated(tenant_a, 90, worker=tenant_a.team_lead)
    client.force_login(tenant_a.clinician)
    since = timezone.now()
    body = client.get(reverse("caseload:home-clinician")).content.decode()
    overdue_part, waiting_part = body.split('id="waiting"')
    assert overdue.person.family_name in overdue_part and "3</td>" in overdue_part
    assert waiting_part.index(oldest.person.family_name) < waiting_part.index(
        newer.person.family_name)
    assert "a baseline outcome measure" in waiting_part
    assert stopped.person.family_name not in body
    assert someone_elses.person.family_name not in body
    with tenant_context(tenant_a.tenant.pk):
        audited = set(AuditEvent.objects.filter(at__gte=since, action="view")
                      .values_list("target_id", flat=True))
    assert {str(overdue.pk), str(oldest.pk), str(newer.pk)} <= audited


def test_a_clinicians_home_takes_the_same_queries_however_long_their_caseload(client,
                                                                               tenant_a):
    client.force_login(tenant_a.clinician)
    url = reverse("caseload:home-clinician")
    overdue = _allocated(tenant_a, 20)
    _plan(tenant_a, overdue, agreed_on=_ago(15), review_by=_ago(3))
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for days in (30, 40, 50):
        again = _allocated(tenant_a, days)
        _plan(tenant_a, again, agreed_on=_ago(days - 5), review_by=_ago(1))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(one) == CLINICIAN_HOME_QUERIES, [q["sql"][:80] for q in many]
