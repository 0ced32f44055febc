"""Safety alerts: an answer that signals risk raises an alert by itself, once, emails the team's
leads once (ids only), shows on the care record, My caseload, Team caseload and the triage
queue, and clears from them when a lead acknowledges it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseload import alerts, services
from caseload.models import RiskConcern
from caseload.tasks import notify_alerts
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral, ReferralEvent
from tests.api_helpers import api_url
from tests.dataset.helpers import person_row, referral_row, tables
from tests.factories import fresh_nhs_number, make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
QUIET_PHQ9 = [1, 2, 1, 2, 1, 0, 1, 0, 0]


def _allocated(cast, **overrides) -> Referral:
    referral = make_referral(cast, received_on=TODAY - dt.timedelta(days=10), **overrides)
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version)
        return referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=cast.clinician.membership)


def _record(cast, referral, tool: str, items: list[int]):
    with tenant_context(cast.tenant.pk):
        return services.outcome_record(referral=referral, actor=cast.clinician, tool=tool,
                                       completed_on=TODAY, items=items)


def _alerts(cast, **filters) -> list[RiskConcern]:
    with tenant_context(cast.tenant.pk):
        return list(RiskConcern.objects.exclude(rule="").filter(**filters).order_by("rule"))


def _emails_queued(callbacks) -> list:
    return [c for c in callbacks if c.__qualname__.startswith("alerts_raise.")]


def _notify(cast, concerns) -> int:
    """Run the email task as the worker would, for the alerts the service queued."""
    return notify_alerts(tenant_id=str(cast.tenant.pk),
                         concern_ids=[str(concern.pk) for concern in concerns])


# --------------------------------------------------------------------------- the rules


def test_the_table_reads_the_official_risk_items_of_each_questionnaire():
    rules = alerts.RULES_BY_CODE
    assert alerts.TOOLS["phq9"].items[rules["phq9_item9"].item - 1] == (
        "Thoughts of self-harm or being better off dead")
    assert alerts.TOOLS["core10"].items[rules["core10_item6"].item - 1] == "Plans to end life"
    assert len({rule.code for rule in alerts.RULES}) == len(alerts.RULES)


@pytest.mark.parametrize(("tool", "items", "rule"), [
    ("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2], "phq9_item9"),
    ("core10", [0, 0, 0, 0, 0, 1, 0, 0, 0, 0], "core10_item6"),
])
def test_a_risk_item_above_0_raises_one_alert_and_emails_the_leads_once(
    tenant_a, django_capture_on_commit_callbacks, mailoutbox, tool, items, rule
):
    cast = tenant_a
    referral = _allocated(cast)
    with django_capture_on_commit_callbacks() as queued:
        measure = _record(cast, referral, tool, items)
    [alert] = _alerts(cast, referral=referral)
    assert alert.rule == rule and alert.source_id == measure.pk and alert.raised_by is None
    assert alert.is_open and f"scored {max(items)}" in alert.concern
    assert len(_emails_queued(queued)) == 1  # one email task, queued for after the commit

    assert _notify(cast, [alert]) == 1
    assert _notify(cast, [alert]) == 0  # a retry, a duplicate delivery: claimed already
    [email] = mailoutbox
    assert email.to == ["team_lead@northtown.test"]
    assert email.subject == f"Safety alert in {cast.pcn_team.name}"
    with tenant_context(cast.tenant.pk):
        person = Referral.objects.get(pk=referral.pk).person
    text = f"{email.subject}\n{email.body}"
    for personal in [person.given_name, person.family_name, person.nhs_number,
                     alert.concern, str(referral.pk)]:
        assert personal not in text

    with tenant_context(cast.tenant.pk):
        event = ReferralEvent.objects.filter(referral=referral).latest("at")
        assert event.kind == "risk_concern_raised" and event.actor is None
        assert event.details == {"concern": str(alert.pk), "rule": rule}


def test_answers_below_the_threshold_raise_nothing(tenant_a):
    referral = _allocated(tenant_a)
    _record(tenant_a, referral, "phq9", QUIET_PHQ9)
    _record(tenant_a, referral, "core10", [4, 4, 4, 4, 4, 0, 4, 4, 4, 4])
    _record(tenant_a, referral, "gad7", [3] * 7)
    assert _alerts(tenant_a, referral=referral) == []


def test_a_rule_fires_once_per_source_record(tenant_a):
    cast = tenant_a
    referral = _allocated(cast)
    measure = _record(cast, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    with tenant_context(cast.tenant.pk):
        again = alerts.alerts_raise(record=measure, referral=referral)
    assert again == []
    assert len(_alerts(cast, referral=referral)) == 1
    # A later questionnaire is another record: it raises its own alert.
    _record(cast, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 3])
    assert len(_alerts(cast, referral=referral)) == 2


def test_a_referral_with_self_harm_and_an_emergency_raises_one_alert_per_rule(
    tenant_a, django_capture_on_commit_callbacks, mailoutbox
):
    cast = tenant_a
    with django_capture_on_commit_callbacks() as queued:
        referral = make_referral(cast, urgency="emergency",
                                 presenting_needs=["self_harm", "suicidal_thoughts"])
    assert len(_emails_queued(queued)) == 1  # one email task for both, after the commit
    found = _alerts(cast, referral=referral)
    assert [a.rule for a in found] == ["emergency_referral", "referral_self_harm_or_suicide"]
    assert all(a.source_id == referral.pk for a in found)
    assert "self-harm and suicidal thoughts" in found[1].concern
    # Run the task as the worker would: one email for both alerts, and only once.
    assert _notify(cast, found) == 1 and _notify(cast, found) == 0
    assert len(mailoutbox) == 1
    assert mailoutbox[0].body.startswith("2 safety alerts were raised automatically")


def test_a_routine_referral_for_low_mood_raises_nothing(tenant_a):
    referral = make_referral(tenant_a, presenting_needs=["low_mood"], urgency="urgent")
    assert _alerts(tenant_a, referral=referral) == []


def test_a_referral_received_through_the_form_raises_its_alert(client, tenant_a):
    from tests.referrals.test_pages import _intake_post

    client.force_login(tenant_a.clinician)
    response = client.post(reverse("referrals:new"), _intake_post(
        tenant_a, urgency="routine", presenting_needs=["suicidal_thoughts"]))
    assert response.status_code == 302
    [alert] = _alerts(tenant_a, rule="referral_self_harm_or_suicide")
    with tenant_context(tenant_a.tenant.pk):
        assert alert.referral.person.family_name == "Hartley"


def test_a_referral_received_through_the_api_raises_its_alert(api, tenant_a):
    from tests.referrals.test_api import _new_person, _referral_body

    api.force_authenticate(tenant_a.clinician)
    body = _referral_body(tenant_a, urgency="emergency", new_person=_new_person())
    response = api.post(api_url("referral-list"), body, format="json")
    assert response.status_code == 201, response.json()
    [alert] = _alerts(tenant_a, rule="emergency_referral")
    assert str(alert.referral_id) == response.json()["id"]
    concern = api.get(api_url("risk-concern-detail", alert)).json()
    assert concern["rule"] == "emergency_referral" and concern["raised_by"] is None


def test_a_refused_referral_leaves_no_alert(tenant_a):
    person = make_referral(tenant_a).person  # already open in the team: a duplicate is refused
    with pytest.raises(Exception, match="already has an open referral"):
        make_referral(tenant_a, person=person, urgency="emergency")
    assert _alerts(tenant_a, rule="emergency_referral") == []


def test_imported_historic_referrals_raise_no_alert(tenant_a):
    from pcns.dataset import dataset_import

    files = dict(
        people=[person_row("P1", fresh_nhs_number())],
        referrals=[referral_row("R1", "P1", tenant_a.pcn_team, urgency="emergency",
                                presenting_needs="self_harm|suicidal_thoughts")],
    )
    with tenant_context(tenant_a.tenant.pk):
        report = dataset_import(tables=tables(**files), actor=tenant_a.tenant_admin)
    assert report.errors == [] and report.imported
    assert _alerts(tenant_a) == []


# --------------------------------------------------------------------------- the pages


def _page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _row(page: str, href: str) -> str:
    start = page.index(href)
    return page[start:page.index("</tr>", start)]


def test_an_alert_shows_on_each_page_until_a_lead_acknowledges_it(client, tenant_a):
    cast = tenant_a
    referral = _allocated(cast)
    queued = make_referral(cast, urgency="emergency")
    _record(cast, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2])
    [alert] = _alerts(cast, referral=referral)
    [queued_alert] = _alerts(cast, referral=queued)
    record = reverse("caseload:record", args=[referral.pk])
    team = reverse("caseload:team", args=[cast.pcn_team.pk])
    queue = reverse("referrals:triage-queue")

    page = _page(client, cast.clinician, record)
    assert 'id="open-alerts"' in page and "PHQ-9 item 9" in page
    assert "automatic safety alert" in page
    assert "Open risk alert" in _row(_page(client, cast.clinician, reverse("caseload:mine")),
                                     record)
    assert "Open risk alert" in _row(_page(client, cast.team_lead, team), record)
    queue_page = _page(client, cast.team_lead, queue)
    assert "Open risk alert" in _row(queue_page,
                                     reverse("referrals:detail", args=[queued.pk]))
    lead_record = _page(client, cast.team_lead, record)
    acknowledge = reverse("caseload:risk-concern-acknowledge", args=[alert.pk])
    assert acknowledge in lead_record

    for concern in (alert, queued_alert):
        response = client.post(
            reverse("caseload:risk-concern-acknowledge", args=[concern.pk]),
            {"version": str(concern.version), "response": "Called them; safety plan reviewed."})
        assert response.status_code == 302

    page = _page(client, cast.clinician, record)
    assert 'id="open-alerts"' not in page and "safety plan reviewed" in page
    timeline = _page(client, cast.clinician, reverse("referrals:timeline", args=[referral.pk]))
    assert "Safety alert raised automatically" in timeline
    assert "Open risk alert" not in _row(
        _page(client, cast.clinician, reverse("caseload:mine")), record)
    assert "Open risk alert" not in _row(_page(client, cast.team_lead, team), record)
    assert "Open risk alert" not in _page(client, cast.team_lead, queue)
    with tenant_context(cast.tenant.pk):
        assert alerts.open_alert_count(cast.team_lead) == 1  # the cast's own worker concern


def test_the_open_alerts_selector_counts_what_waits_for_the_lead_in_their_teams(tenant_a,
                                                                               tenant_b):
    cast = tenant_a
    make_referral(cast, urgency="emergency")
    make_referral(cast, urgency="emergency", team=cast.other_pcn_team)
    make_referral(tenant_b, urgency="emergency")
    with tenant_context(cast.tenant.pk):
        shown = list(alerts.open_alerts_for_user(cast.team_lead))
        assert {c.referral.team_id for c in shown} == {cast.pcn_team.pk}
        # One emergency alert and the cast's own worker concern, newest first.
        assert [c.rule for c in shown] == ["emergency_referral", ""]
        assert alerts.open_alert_count(cast.team_lead) == 2
        assert alerts.open_alert_count(cast.vcse_worker) == 0


#: The queries of My caseload, Team caseload and the triage queue (the queue's as
#: tests/isolation/test_audit_coverage.py QUEUE_QUERIES). Each flag is a subquery of the page's
#: own query, so none of these grows with the rows flagged.
PAGE_QUERIES = [12, 16, 15]


def _queries(client, user, url: str) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_flags_add_no_query_per_row(client, tenant_a, django_assert_num_queries):
    cast = tenant_a
    pages = [(cast.clinician, reverse("caseload:mine")),
             (cast.team_lead, reverse("caseload:team", args=[cast.pcn_team.pk])),
             (cast.team_lead, reverse("referrals:triage-queue"))]
    referral = _allocated(cast)
    _record(cast, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    make_referral(cast, urgency="emergency")
    assert [_queries(client, user, url) for user, url in pages] == PAGE_QUERIES
    for _ in range(3):
        more = _allocated(cast)
        _record(cast, more, "core10", [0, 0, 0, 0, 0, 2, 0, 0, 0, 0])
        make_referral(cast, presenting_needs=["self_harm"])
    for (user, url), pinned in zip(pages, PAGE_QUERIES, strict=True):
        client.force_login(user)
        with django_assert_num_queries(pinned):
            page = client.get(url).content.decode()
        assert page.count("Open risk alert") >= 4


def test_an_alert_on_a_referral_redirected_at_triage_can_still_be_acknowledged(tenant_a):
    cast = tenant_a
    referral = make_referral(cast, urgency="emergency")
    with tenant_context(cast.tenant.pk):
        referral_services.referral_redirect(referral=referral, actor=cast.team_lead,
                                            version=referral.version, destination="crisis",
                                            note="Handed to the crisis team by phone")
    [alert] = _alerts(cast, referral=referral)
    with tenant_context(cast.tenant.pk):
        services.risk_concern_acknowledge(concern=alert, actor=cast.team_lead, version=1,
                                          response="Crisis team took it on")
    assert not _alerts(cast, referral=referral, acknowledged_at__isnull=True)


def test_the_open_alerts_of_an_episode_are_read_for_a_banner(tenant_a):
    cast = tenant_a
    referral = make_referral(cast, urgency="emergency", presenting_needs=["self_harm"])
    with tenant_context(cast.tenant.pk):
        assert sorted(c.rule for c in alerts.open_alerts_of(referral)) == [
            "emergency_referral", "referral_self_harm_or_suicide"]
        first = alerts.open_alerts_of(referral).first()
        services.risk_concern_acknowledge(concern=first, actor=cast.team_lead, version=1,
                                          response="Triaged at once")
        assert alerts.open_alerts_of(referral).count() == 1


# --------------------------------------------------------------------------- corrections


def test_a_referral_corrected_to_emergency_raises_the_alert_intake_would_have_raised(tenant_a):
    from referrals import corrections

    referral = make_referral(tenant_a, urgency="routine", presenting_needs=["low_mood"])
    assert _alerts(tenant_a, referral=referral) == []
    with tenant_context(tenant_a.tenant.pk):
        values = {name: getattr(referral, name) for name in corrections.REFERRAL_INTAKE_FIELDS}
        corrected = corrections.referral_amend(
            referral=referral, actor=tenant_a.clinician, version=referral.version,
            reason="The police letter said tonight",
            data=corrections.ReferralIntakeInput(**{**values, "urgency": "emergency"}))
        values = {name: getattr(corrected, name) for name in corrections.REFERRAL_INTAKE_FIELDS}
        corrections.referral_amend(
            referral=corrected, actor=tenant_a.clinician, version=corrected.version,
            reason="Typo in the reason", data=corrections.ReferralIntakeInput(
                **{**values, "reason": "Said they plan to end their life tonight"}))

    [alert] = _alerts(tenant_a, referral=referral)
    assert alert.rule == "emergency_referral"


def test_an_alert_marked_entered_in_error_is_no_longer_open_anywhere(client, tenant_a):
    from caseload import corrections

    referral = _allocated(tenant_a)
    _record(tenant_a, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    [alert] = _alerts(tenant_a, referral=referral)
    assert alert.is_open
    with tenant_context(tenant_a.tenant.pk):
        assert alerts.open_alerts_for_user(tenant_a.team_lead).filter(pk=alert.pk).exists()

    with tenant_context(tenant_a.tenant.pk):
        corrections.care_record_enter_in_error(
            record=alert, actor=tenant_a.team_lead, version=alert.version,
            reason="Recorded against the wrong person")
    [alert] = _alerts(tenant_a, referral=referral)
    assert not alert.is_open
    with tenant_context(tenant_a.tenant.pk):
        assert not alerts.open_alerts_for_user(tenant_a.team_lead).filter(pk=alert.pk).exists()
    with tenant_context(tenant_a.tenant.pk):
        family_name = Referral.objects.get(pk=referral.pk).person.family_name
    client.force_login(tenant_a.clinician)
    row = [line for line in client.get(reverse("caseload:mine")).content.decode().split("<tr")
           if family_name in line]
    assert row and "Open risk alert" not in row[0]


def test_correcting_a_referral_already_triaged_raises_no_new_alert(tenant_a):
    from referrals import corrections

    referral = _allocated(tenant_a, presenting_needs=["low_mood"])
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(pk=referral.pk)
        values = {name: getattr(referral, name) for name in corrections.REFERRAL_INTAKE_FIELDS}
        corrections.referral_amend(
            referral=referral, actor=tenant_a.team_lead, version=referral.version,
            reason="The letter also mentioned self-harm, long since assessed",
            data=corrections.ReferralIntakeInput(
                **{**values, "presenting_needs": ["low_mood", "self_harm"]}))
    assert _alerts(tenant_a, referral=referral) == []


def test_the_same_needs_in_another_order_are_no_correction(tenant_a):
    from referrals import corrections
    from referrals.models import Revision

    referral = make_referral(tenant_a, presenting_needs=["low_mood", "anxiety"])
    with tenant_context(tenant_a.tenant.pk):
        values = {name: getattr(referral, name) for name in corrections.REFERRAL_INTAKE_FIELDS}
        corrections.referral_amend(
            referral=referral, actor=tenant_a.clinician, version=referral.version,
            reason="Saved again", data=corrections.ReferralIntakeInput(
                **{**values, "presenting_needs": ["low_mood", "anxiety"]}))
        assert not Revision.objects.filter(record_id=referral.pk).exists()


def test_an_alert_email_the_mail_server_refused_is_not_marked_sent(tenant_a, settings,
                                                                   mailoutbox):
    referral = _allocated(tenant_a)
    _record(tenant_a, referral, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 2])
    [alert] = _alerts(tenant_a, referral=referral)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    with pytest.raises(OSError):
        notify_alerts.run(tenant_id=str(tenant_a.tenant.pk), concern_ids=[str(alert.pk)])
    [alert] = _alerts(tenant_a, referral=referral)
    assert alert.leads_notified_at is None  # the claim rolled back with the failed send

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert _notify(tenant_a, [alert]) == 1
    assert len(mailoutbox) == 1
