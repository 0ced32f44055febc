"""The care plan pages (edit, versions, printable copy) and the outcome measure pages
(questionnaire entry and the chart of scores)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from caseload import services
from caseload.charts import HEIGHT, TOP, WIDTH, score_chart
from caseload.models import CarePlan, CarePlanVersion, OutcomeMeasure
from caseload.plan_forms import OutcomeForm, add_outcome_errors
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}


def _plan(cast) -> CarePlan:
    """The cast's care plan (version 1, agreed), on its active referral."""
    with tenant_context(cast.tenant.pk):
        return CarePlan.objects.select_related("referral__person").get()


def _versions(cast) -> list[int]:
    with tenant_context(cast.tenant.pk):
        return list(CarePlanVersion.objects.order_by("number").values_list("number", flat=True))


def _measures(cast) -> int:
    with tenant_context(cast.tenant.pk):
        return OutcomeMeasure.objects.count()


def _allocated_referral(cast):
    referral = make_referral(cast)
    lead = cast.team_lead
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=lead,
                                                     version=referral.version)
        return referral_services.referral_allocate(
            referral=referral, actor=lead, version=referral.version,
            worker=cast.clinician.membership,
        )


def _plan_post(**overrides) -> dict:
    data = {
        "version": "1",
        "goal_1": "Sleep through the night most nights",
        "goal_2": "",
        "goal_3": "See my sister every week",
        "co_produced_with": ["person", "carer"],
        **_date("agreed_on", TODAY),
        "review_trigger": "If I stop going out, or my job changes",
        **_date("review_by", TODAY + dt.timedelta(days=90)),
        "safety_plan": "Warning signs: not eating.\nCall my sister, then the crisis line.",
    }
    data.update(overrides)
    return data


def _edit(client, plan, data):
    return client.post(reverse("caseload:care-plan-edit", args=[plan.referral_id]), data)


# --------------------------------------------------------------------------- care plan edit


def test_the_care_plan_page_shows_the_current_version_in_a_prefilled_form(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("caseload:care-plan-edit", args=[plan.referral_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Current plan: version 1" in html
    assert 'name="goal_1" type="text" value="Get back into a routine"' in html
    assert 'name="version" value="1"' in html
    assert 'value="person" checked' in html
    assert reverse("caseload:care-plan-version", args=[plan.pk, 1]) in html


def test_saving_the_care_plan_adds_version_2_and_keeps_version_1(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    response = _edit(client, plan, _plan_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("caseload:record", args=[plan.referral_id])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Care plan saved as version 2"]
    assert _versions(tenant_a) == [1, 2]
    with tenant_context(tenant_a.tenant.pk):
        first, second = CarePlanVersion.objects.order_by("number")
        assert first.goals == ["Get back into a routine"]
        assert second.goals == ["Sleep through the night most nights", "See my sister every week"]
        assert second.co_produced_with == ["person", "carer"]
        assert second.agreed_on == TODAY
        assert second.recorded_by == tenant_a.clinician
        assert CarePlan.objects.get().version == 2

    old = client.get(reverse("caseload:care-plan-version", args=[plan.pk, 1]))
    assert "Get back into a routine" in old.content.decode()
    assert "This is an earlier version" in old.content.decode()


def test_a_first_plan_starts_at_version_1_and_an_empty_agreed_date_is_a_draft(client, tenant_a):
    referral = _allocated_referral(tenant_a)
    client.force_login(tenant_a.clinician)
    url = reverse("caseload:care-plan-edit", args=[referral.pk])
    page = client.get(url).content.decode()
    assert "There is no care plan yet" in page and 'name="version" value="0"' in page
    data = _plan_post(version="0", **{"agreed_on-day": "", "agreed_on-month": "",
                                      "agreed_on-year": "", "review_by-day": "",
                                      "review_by-month": "", "review_by-year": ""})
    assert client.post(url, data).status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        saved = CarePlanVersion.objects.get(plan__referral=referral)
        assert saved.number == 1 and saved.agreed_on is None
    assert "Draft" in client.get(url).content.decode()


def test_care_plan_errors_are_shown_inline_together_and_nothing_is_saved(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    response = _edit(client, plan, _plan_post(
        goal_1="", goal_3="  ", co_produced_with=[], review_trigger="", safety_plan="",
        **{"agreed_on-day": "31", "agreed_on-month": "2"},
    ))
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    for message, anchor in [
        ("Enter at least one goal, in the person&#39;s words.", "goal_1"),
        ("Say who the plan was written with.", "co_produced_with"),
        ("The date the plan was agreed must be a real date.", "agreed_on"),
        ("Say what should prompt a review of the plan.", "review_trigger"),
        ("Enter the safety and crisis plan.", "safety_plan"),
    ]:
        assert message in html
        assert f'href="#{anchor}"' in html
    assert _versions(tenant_a) == [1]


def test_the_services_rules_are_shown_on_their_fields(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    response = _edit(client, plan, _plan_post(
        **_date("agreed_on", TODAY + dt.timedelta(days=3)),
        **_date("review_by", TODAY + dt.timedelta(days=1)),
    ))
    html = response.content.decode()
    assert response.status_code == 400
    assert "The date the plan was agreed cannot be in the future." in html
    assert "The review date cannot be before the plan was agreed." in html
    assert 'href="#review_by"' in html
    assert _versions(tenant_a) == [1]


def test_a_stale_version_gets_a_conflict_not_an_overwrite(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    assert _edit(client, plan, _plan_post(version="1")).status_code == 302
    client.force_login(tenant_a.team_lead)
    response = _edit(client, plan, _plan_post(version="1", goal_1="Someone else's change"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this care plan since you read it." in html
    assert "Reload the care plan" in html
    assert _versions(tenant_a) == [1, 2]


def test_peer_support_workers_cannot_edit_the_care_plan_but_can_read_it(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.peer_support)
    url = reverse("caseload:care-plan-edit", args=[plan.referral_id])
    assert client.get(url).status_code == 403
    assert client.post(url, _plan_post()).status_code == 403
    assert _versions(tenant_a) == [1]
    version = client.get(reverse("caseload:care-plan-version", args=[plan.pk, 1]))
    assert version.status_code == 200
    assert "Get back into a routine" in version.content.decode()
    assert "Update the plan" not in version.content.decode()


def test_a_version_that_does_not_exist_is_not_found(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    assert client.get(reverse("caseload:care-plan-version", args=[plan.pk, 7])).status_code == 404


# --------------------------------------------------------------------------- printable copy


def test_the_printable_copy_is_written_to_the_person_with_goals_and_safety_plan(
    client, tenant_a
):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    assert _edit(client, plan, _plan_post()).status_code == 302
    response = client.get(reverse("caseload:care-plan-print", args=[plan.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Your care plan" in html
    assert plan.referral.person.full_name in html
    assert "Your goals, in your words" in html
    assert "Sleep through the night most nights" in html
    assert "See my sister every week" in html
    assert "<li>You</li>" in html and "A carer or family member" in html
    assert "Call my sister, then the crisis line." in html
    assert "116 123" in html and "NHS 111" in html
    assert "css/care-plan-print.css" in html
    assert "<div data-print-button hidden>" in html  # shown only where its script runs


# --------------------------------------------------------------------------- outcome measures


def _dialog_post(**overrides) -> dict:
    scores = [4, 3, 2, 5, 4, 6, 3, 5, 6, 5, 7]
    data = {**_date("completed_on", TODAY)}
    for number, score in enumerate(scores, start=1):
        data[f"item_{number}"] = str(score)
        data[f"help_{number}"] = "yes" if number in {3, 4} else "no"
    data.update(overrides)
    return data


def _outcome_url(referral_id, tool: str = "") -> str:
    url = reverse("caseload:outcome-new", args=[referral_id])
    return f"{url}?tool={tool}" if tool else url


def test_recording_starts_by_choosing_the_questionnaire(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.peer_support)
    page = client.get(_outcome_url(plan.referral_id))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Which questionnaire did the person complete?" in html
    assert 'name="tool" type="radio" value="dialog"' in html
    bad = client.get(_outcome_url(plan.referral_id, "nonsense"))
    assert bad.status_code == 400
    assert "Choose a questionnaire from the list." in bad.content.decode()
    questions = client.get(_outcome_url(plan.referral_id, "dialog")).content.decode()
    assert "Item 4: Accommodation" in questions
    assert questions.count('type="radio"') == 11 * 7 + 11 * 2


def test_an_out_of_range_dialog_item_gets_its_own_error_and_nothing_is_saved(client, tenant_a):
    plan = _plan(tenant_a)
    before = _measures(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(_outcome_url(plan.referral_id, "dialog"),
                           _dialog_post(item_4="9", help_7=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Item 4 (Accommodation): enter a score from 1 to 7." in html
    assert 'href="#item_4"' in html
    assert "Item 7 (Friendships): say whether the person wants more help with this." in html
    assert 'href="#help_7"' in html
    assert "Item 5 (Leisure activities): enter" not in html
    assert 'value="6" checked' in html  # what was typed is kept
    assert _measures(tenant_a) == before


def test_a_valid_dialog_is_scored_and_shown_on_the_chart_with_its_numbers(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(_outcome_url(plan.referral_id, "dialog"), _dialog_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("caseload:outcomes", args=[plan.referral_id])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "DIALOG recorded: quality of life 4.00, treatment satisfaction 6.00."]
    with tenant_context(tenant_a.tenant.pk):
        measure = OutcomeMeasure.objects.get(tool="dialog")
        assert measure.items == [4, 3, 2, 5, 4, 6, 3, 5, 6, 5, 7]
        assert measure.wants_more_help == [False, False, True, True] + [False] * 7
        assert measure.score == Decimal("4.00")
        assert measure.subscores == {"quality_of_life": "4.00", "treatment_satisfaction": "6.00"}

    chart = client.get(response["Location"])
    html = chart.content.decode()
    assert chart.status_code == 200
    assert '<svg class="app-chart"' in html and 'role="img"' in html
    assert 'aria-labelledby="tool-dialog-title tool-dialog-desc"' in html
    assert "DIALOG scores over time" in html
    assert "Higher scores are better." in html
    assert f'<th scope="row" class="nhsuk-table__header">{TODAY.day} {TODAY:%B %Y}</th>' in html
    assert '<td class="nhsuk-table__cell app-table-numeric">4.00</td>' in html
    assert '<td class="nhsuk-table__cell app-table-numeric">6.00</td>' in html
    assert "Job situation" in html and "Accommodation" in html  # wanted more help with
    # The factory's PHQ-9 (total 8, mild) is charted too.
    assert "PHQ-9 scores over time" in html
    assert "<td class=\"nhsuk-table__cell\">Mild</td>" in html


def test_a_later_score_shows_its_change_from_the_first(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    post = {**_date("completed_on", TODAY),
            **{f"item_{n}": "0" for n in range(1, 10)}, "item_2": "1"}
    assert client.post(_outcome_url(plan.referral_id, "phq9"), post).status_code == 302
    html = client.get(reverse("caseload:outcomes", args=[plan.referral_id])).content.decode()
    assert "First measure" in html
    assert "Down 7 (better)" in html
    assert "Review risk" not in html


def test_a_risk_item_above_0_asks_for_a_review_of_risk(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    post = {**_date("completed_on", TODAY), **{f"item_{n}": "1" for n in range(1, 10)}}
    response = client.post(_outcome_url(plan.referral_id, "phq9"), post)
    assert "review the person's risk" in str(next(iter(get_messages(response.wsgi_request))))
    html = client.get(reverse("caseload:outcomes", args=[plan.referral_id])).content.decode()
    assert "Review risk" in html
    assert "PHQ-9 item 9 (Thoughts of self-harm or being better off dead) was scored 1." in html


def test_service_item_errors_land_on_each_items_field(tenant_a):
    plan = _plan(tenant_a)
    with tenant_context(tenant_a.tenant.pk), pytest.raises(ValidationError) as raised:
        services.outcome_record(referral=plan.referral, actor=tenant_a.clinician,
                                tool="gad7", completed_on=TODAY,
                                items=[0, 5, 1, 1, None, 1, 1])
    form = OutcomeForm({}, tool="gad7")
    form.is_valid()
    form.errors.clear()
    add_outcome_errors(form, raised.value)
    assert form.errors["item_2"] == ["Item 2 (Unable to stop worrying): enter a score from 0 to 3."]
    assert form.errors["item_5"] == ["Item 5 (Restlessness): enter a score."]


# --------------------------------------------------------------------------- who sees what


def test_a_clinician_of_another_team_gets_not_found_everywhere(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.other_clinician)
    for url in [
        reverse("caseload:care-plan-edit", args=[plan.referral_id]),
        reverse("caseload:care-plan-version", args=[plan.pk, 1]),
        reverse("caseload:care-plan-print", args=[plan.pk]),
        reverse("caseload:outcomes", args=[plan.referral_id]),
        _outcome_url(plan.referral_id, "phq9"),
    ]:
        assert client.get(url).status_code == 404, url
    assert _edit(client, plan, _plan_post()).status_code == 404
    assert _versions(tenant_a) == [1]


def test_another_tenants_users_get_not_found(client, tenant_a, tenant_b):
    plan = _plan(tenant_a)
    client.force_login(tenant_b.clinician)
    assert client.get(reverse("caseload:care-plan-print", args=[plan.pk])).status_code == 404
    assert client.get(reverse("caseload:outcomes", args=[plan.referral_id])).status_code == 404


def test_reading_the_plan_and_the_scores_is_audited(client, tenant_a):
    plan = _plan(tenant_a)
    client.force_login(tenant_a.clinician)
    client.get(reverse("caseload:care-plan-edit", args=[plan.referral_id]))
    client.get(reverse("caseload:care-plan-version", args=[plan.pk, 1]))
    client.get(reverse("caseload:care-plan-print", args=[plan.pk]))
    client.get(reverse("caseload:outcomes", args=[plan.referral_id]))
    with tenant_context(tenant_a.tenant.pk):
        views = set(AuditEvent.objects.filter(action="view", actor=tenant_a.clinician)
                    .values_list("target_type", "target_id", "note"))
    referral_id, plan_id = str(plan.referral_id), str(plan.pk)
    assert ("referrals.referral", referral_id, "care plan") in views
    assert ("caseload.careplan", plan_id, "care plan version 1") in views
    assert ("caseload.careplan", plan_id, "care plan printable copy") in views
    assert ("referrals.referral", referral_id, "outcome measures") in views


# --------------------------------------------------------------------------- the chart itself


def test_the_chart_puts_better_scores_higher_up_the_page_for_higher_is_better_tools():
    chart = score_chart("dialog", [(dt.date(2026, 1, 5), Decimal("2.00")),
                                   (dt.date(2026, 3, 5), Decimal("5.50"))])
    first, second = chart.points
    assert first.x < second.x
    assert second.y < first.y  # SVG y grows downwards
    assert [t.label for t in chart.y_ticks] == ["1", "2", "3", "4", "5", "6", "7"]
    assert chart.y_ticks[-1].at == TOP
    assert chart.line == f"{first.x},{first.y} {second.x},{second.y}"
    assert "Higher scores are better." in chart.description
    assert "First 2.00, latest 5.50: up 3.50 (better)" in chart.description
    assert 0 < first.x < second.x < WIDTH and 0 < second.y < first.y < HEIGHT


def test_a_single_score_sits_in_the_middle_and_totals_have_round_ticks():
    chart = score_chart("phq9", [(dt.date(2026, 2, 1), Decimal("12.00"))])
    assert len(chart.points) == 1
    assert chart.points[0].x == (chart.left + chart.right) / 2
    assert [t.label for t in chart.y_ticks] == ["0", "5", "10", "15", "20", "25"]
    assert [t.label for t in chart.x_ticks] == ["1 Feb 2026"]
    assert "one measure, 12 on 1 February 2026. Lower scores are better." in chart.description
    many = score_chart("core10", [(dt.date(2026, 1, 1) + dt.timedelta(days=7 * n), Decimal(n))
                                  for n in range(12)])
    assert len(many.x_ticks) == 4
    assert many.y_ticks[-1].label == "40"
