"""Care record services: validation (nothing saved on a refusal), scoring, care plan versions,
activation, discharge and the re-referral that reopens an episode."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from caseload import services
from caseload.alerts import RISK_ITEMS
from caseload.codes import (
    ASSESSING_KINDS,
    TOOLS,
    AssessmentKind,
    OutcomeTool,
)
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from config.exceptions import Conflict
from pcns.db import APPEND_ONLY_TABLES
from pcns.models import AuditEvent, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral, ReferralEvent
from referrals.states import IllegalTransition, Status
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def allocated(cast, *, days_ago: int = 30, worker=None, joint=(), person=None, team=None):
    """A referral received ``days_ago`` days ago, accepted and allocated on that day."""
    received = TODAY - dt.timedelta(days=days_ago)
    referral = make_referral(cast, person=person, received_on=received,
                             team=team or cast.pcn_team)
    referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                 version=referral.version, on=received)
    return referral_services.referral_allocate(
        referral=referral, actor=cast.team_lead, version=referral.version,
        worker=worker or cast.clinician.membership, joint_workers=list(joint), on=received,
    )


@pytest.fixture
def referral(ctx):
    return allocated(ctx)


def _reload(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)


def contact(cast, referral, *, on, attendance="attended", at=None, staff=None, actor=None):
    return services.contact_record(
        actor=actor or cast.clinician, referral=referral,
        data=services.ContactInput(on=on, at=at, mode="telephone", attendance=attendance,
                                   purpose="review", staff=staff),
    )


def plan_input(**overrides) -> services.CarePlanInput:
    values = {
        "goals": ["Get back to the allotment", "Sleep through the night"],
        "co_produced_with": ["person", "carer"],
        "review_trigger": "If sleep gets worse or the allotment is lost",
        "safety_plan": "Warning signs: not eating. Call the crisis line on 0800 000 0000.",
        "agreed_on": TODAY - 2 * DAY,
    }
    values.update(overrides)
    return services.CarePlanInput(**values)


def _state(referral: Referral) -> dict:
    """Everything a refused service could have half-written."""
    return {
        "contacts": Contact.objects.count(),
        "assessments": Assessment.objects.count(),
        "plans": list(CarePlan.objects.values_list("pk", "version")),
        "plan_versions": CarePlanVersion.objects.count(),
        "interventions": list(Intervention.objects.values_list("pk", "ended_on", "version")),
        "outcomes": OutcomeMeasure.objects.count(),
        "concerns": list(RiskConcern.objects.values_list("pk", "acknowledged_at")),
        "events": ReferralEvent.objects.filter(referral=referral).count(),
        "audit": AuditEvent.objects.count(),
        "referral": Referral.objects.filter(pk=referral.pk).values_list(
            "status", "version", "discharged_on", "discharge_reason").get(),
    }


def assert_refused(referral, call, field: str, text: str) -> ValidationError:
    before = _state(referral)
    with pytest.raises(ValidationError) as caught:
        call()
    messages = caught.value.message_dict
    assert field in messages, messages
    assert text in " ".join(messages[field]), messages[field]
    assert _state(referral) == before
    return caught.value


# --------------------------------------------------------------------------- validation

def _outcome(tool, items, wants_more_help=None, completed_on=TODAY):
    return lambda c, r: services.outcome_record(
        referral=r, actor=c.clinician, tool=tool, completed_on=completed_on, items=items,
        wants_more_help=wants_more_help)


def _contact(**overrides):
    values = {"on": TODAY, "mode": "telephone", "attendance": "attended", "purpose": "review"}
    values.update(overrides)

    def call(c, r):
        data = dict(values)
        if data.get("staff") in {"other_clinician", "vcse_worker", "peer_support"}:
            data["staff"] = getattr(c, data["staff"]).membership
        if data.get("organisation") == "practice":
            data["organisation"] = c.practice
        return services.contact_record(actor=c.clinician, referral=r,
                                       data=services.ContactInput(**data))
    return call


def _assessment(**overrides):
    values = {"kind": "initial", "assessed_on": TODAY, "summary": "Low mood since the winter",
              "risk_summary": "No thoughts of self-harm"}
    values.update(overrides)

    def call(c, r):
        data = dict(values)
        if data.get("assessor") in {"peer_support", "connector"}:
            data["assessor"] = getattr(c, data["assessor"]).membership
        return services.assessment_record(referral=r, actor=c.clinician,
                                          data=services.AssessmentInput(**data))
    return call


def _plan(**overrides):
    return lambda c, r: services.care_plan_save(referral=r, actor=c.clinician, version=None,
                                                data=plan_input(**overrides))


def _intervention(**overrides):
    values = {"kind": "psychological_therapy", "started_on": TODAY - 5 * DAY}
    values.update(overrides)

    def call(c, r):
        data = dict(values)
        if data.get("delivered_by") in {"peer_support", "connector"}:
            data["delivered_by"] = getattr(c, data["delivered_by"]).membership
        return services.intervention_start(referral=r, actor=c.clinician,
                                           data=services.InterventionInput(**data))
    return call


def _discharge(**overrides):
    values = {"reason": "goals_met"}
    values.update(overrides)
    return lambda c, r: services.referral_discharge(referral=r, actor=c.clinician,
                                                    version=r.version, **values)


VALIDATION_CASES = [
    # outcome measures: item by item
    ("phq9-score-above-range", _outcome("phq9", [0] * 8 + [4]), "items",
     "Item 9 (Thoughts of self-harm or being better off dead): enter a score from 0 to 3."),
    ("dialog-score-below-range", _outcome("dialog", [0] + [4] * 10, [False] * 11), "items",
     "Item 1 (Mental health): enter a score from 1 to 7."),
    ("core10-negative-score", _outcome("core10", [1] * 9 + [-1]), "items",
     "Item 10 (Distressing images or memories): enter a score from 0 to 4."),
    ("gad7-fraction", _outcome("gad7", [1, 1, 2.5, 1, 1, 1, 1]), "items",
     "Item 3 (Worrying too much): enter a whole number."),
    ("gad7-text", _outcome("gad7", [1, 1, 1, "2", 1, 1, 1]), "items",
     "Item 4 (Trouble relaxing): enter a whole number."),
    ("gad7-true", _outcome("gad7", [True, 1, 1, 1, 1, 1, 1]), "items",
     "Item 1 (Nervous or on edge): enter a whole number."),
    ("reqol10-missing-item", _outcome("reqol10", [2] * 9 + [None]), "items",
     "Item 10: enter a score."),
    ("phq9-too-few-items", _outcome("phq9", [1] * 8), "items",
     "PHQ-9 has 9 items: enter a score for each."),
    ("gad7-too-many-items", _outcome("gad7", [1] * 8), "items", "GAD-7 has 7 items"),
    ("dialog-without-wants-more-help", _outcome("dialog", [4] * 11), "wants_more_help",
     "whether the person wants more help"),
    ("dialog-wants-more-help-short", _outcome("dialog", [4] * 11, [True] * 10),
     "wants_more_help", "for each of the 11 items"),
    ("dialog-wants-more-help-not-yes-no", _outcome("dialog", [4] * 11, ["yes"] * 11),
     "wants_more_help", "(yes or no)"),
    ("phq9-wants-more-help", _outcome("phq9", [1] * 9, [False] * 9), "wants_more_help",
     "PHQ-9 does not ask about more help."),
    ("unknown-tool", _outcome("moodometer", [1] * 9), "tool",
     "'moodometer' is not a known code."),
    ("outcome-in-the-future", _outcome("phq9", [1] * 9, completed_on=TODAY + DAY),
     "completed_on", "cannot be in the future"),
    ("outcome-before-the-referral", _outcome("phq9", [1] * 9, completed_on=TODAY - 31 * DAY),
     "completed_on", "cannot be before the referral was received"),
    # contacts
    ("contact-before-the-referral", _contact(on=TODAY - 31 * DAY), "on",
     "cannot be before the referral was received"),
    ("booking-before-the-referral", _contact(on=TODAY - 31 * DAY, attendance="booked"), "on",
     "cannot be before the referral was received"),
    ("attended-contact-tomorrow", _contact(on=TODAY + DAY), "on",
     "A contact that has happened cannot be in the future."),
    ("dna-next-week", _contact(on=TODAY + 7 * DAY, attendance="dna"), "on",
     "cannot be in the future"),
    ("unknown-mode", _contact(mode="carrier_pigeon"), "mode", "'carrier_pigeon' is not a known"),
    ("unknown-attendance", _contact(attendance="maybe"), "attendance", "'maybe' is not a known"),
    ("unknown-purpose", _contact(purpose="chat"), "purpose", "'chat' is not a known code."),
    ("no-mode", _contact(mode=""), "mode", "Choose an option."),
    ("no-date", _contact(on=None), "on", "Enter the date of the contact."),
    ("zero-minutes", _contact(duration_minutes=0), "duration_minutes", "from 1 to 720"),
    ("over-twelve-hours", _contact(duration_minutes=721), "duration_minutes", "from 1 to 720"),
    ("staff-from-another-team", _contact(staff="other_clinician"), "staff",
     "does not work in this team"),
    ("staff-who-holds-no-caseload", _contact(staff="vcse_worker"), "staff",
     "does not work with people here"),
    ("organisation-on-a-referral-contact", _contact(organisation="practice"), "organisation",
     "Only a contact with no referral"),
    # assessments
    ("unknown-assessment-kind", _assessment(kind="palm_reading"), "kind", "not a known code"),
    ("assessment-without-risks", _assessment(risk_summary="  "), "risk_summary",
     "Enter the risks"),
    ("assessment-without-summary", _assessment(summary=""), "summary", "Enter a summary"),
    ("assessment-in-the-future", _assessment(assessed_on=TODAY + DAY), "assessed_on",
     "cannot be in the future"),
    ("assessment-before-the-referral", _assessment(assessed_on=TODAY - 31 * DAY),
     "assessed_on", "cannot be before the referral was received"),
    ("assessment-by-peer-support", _assessment(assessor="peer_support"), "assessor",
     "Peer support workers do not record assessments."),
    ("assessment-by-a-connector", _assessment(assessor="connector"), "assessor",
     "Community connectors do not record assessments."),
    # care plans
    ("plan-without-goals", _plan(goals=["", "   "]), "goals", "Enter at least one goal"),
    ("plan-without-co-producer", _plan(co_produced_with=[]), "co_produced_with",
     "Say who the plan was written with."),
    ("plan-with-unknown-co-producer", _plan(co_produced_with=["person", "astrologer"]),
     "co_produced_with", "'astrologer' is not a known code."),
    ("plan-without-safety-plan", _plan(safety_plan=" "), "safety_plan",
     "Enter the safety and crisis plan."),
    ("plan-without-review-trigger", _plan(review_trigger=""), "review_trigger",
     "what should prompt a review"),
    ("plan-review-before-agreement", _plan(review_by=TODAY - 3 * DAY), "review_by",
     "cannot be before the plan was agreed"),
    ("plan-agreed-before-the-referral", _plan(agreed_on=TODAY - 31 * DAY), "agreed_on",
     "cannot be before the referral was received"),
    ("plan-agreed-in-the-future", _plan(agreed_on=TODAY + DAY), "agreed_on",
     "cannot be in the future"),
    # interventions
    ("intervention-ending-before-it-starts",
     _intervention(started_on=TODAY - 2 * DAY, ended_on=TODAY - 3 * DAY), "ended_on",
     "The end cannot be before the start."),
    ("unknown-intervention-kind", _intervention(kind="reiki"), "kind", "not a known code"),
    ("intervention-starting-in-the-future", _intervention(started_on=TODAY + DAY),
     "started_on", "cannot be in the future"),
    ("therapy-by-peer-support", _intervention(delivered_by="peer_support"), "delivered_by",
     "Peer support workers do not deliver clinical interventions."),
    ("medication-review-by-a-connector",
     _intervention(kind="medication_physical_health", delivered_by="connector"),
     "delivered_by", "Community connectors do not deliver clinical interventions."),
    # discharge
    ("discharge-before-the-referral", _discharge(on=TODAY - 31 * DAY), "discharged_on",
     "cannot be before the referral was received"),
    ("discharge-in-the-future", _discharge(on=TODAY + DAY), "discharged_on",
     "cannot be in the future"),
    ("step-up-without-destination", _discharge(reason="stepped_up", destination=" "),
     "destination", "Say which service the person moved to."),
    ("step-down-without-destination", _discharge(reason="stepped_down"), "destination",
     "Say which service the person moved to."),
    ("unknown-discharge-reason", _discharge(reason="bored"), "reason",
     "'bored' is not a known code."),
    ("other-reason-without-note", _discharge(reason="other"), "note", "Explain the reason"),
    # risk concerns
    ("empty-risk-concern",
     lambda c, r: services.risk_concern_raise(referral=r, actor=c.clinician, concern="  "),
     "concern", "Describe the concern."),
]


@pytest.mark.parametrize("call,field,text", [case[1:] for case in VALIDATION_CASES],
                         ids=[case[0] for case in VALIDATION_CASES])
def test_invalid_care_records_are_refused_on_the_right_field_and_nothing_is_saved(
    ctx, referral, call, field, text
):
    assert_refused(referral, lambda: call(ctx, referral), field, text)


def test_an_outcome_measure_names_every_wrong_item_at_once(ctx, referral):
    error = assert_refused(
        referral, lambda: _outcome("phq9", [0, 9, 1, "x", 1, 1, 1, 1, -2])(ctx, referral),
        "items", "Item 2 (Low mood)")
    assert [message.split(":")[0] for message in error.message_dict["items"]] == [
        "Item 2 (Low mood)", "Item 4 (Tiredness or energy)",
        "Item 9 (Thoughts of self-harm or being better off dead)"]


def test_a_form_hears_about_every_wrong_field_of_a_contact_together(ctx, referral):
    error = assert_refused(
        referral,
        lambda: _contact(on=TODAY + DAY, mode="fax", duration_minutes=0)(ctx, referral),
        "on", "cannot be in the future")
    assert {"on", "mode", "duration_minutes"} <= set(error.message_dict)


def test_an_attended_contact_later_today_is_refused_but_one_earlier_today_is_fine(
    ctx, referral
):
    today, later = timezone.localdate(), dt.time(23, 59)
    if timezone.localtime().time() >= later:
        pytest.skip("no later time left today")
    assert_refused(referral, lambda: contact(ctx, referral, on=today, at=later), "on",
                   "A contact that has happened cannot be in the future.")
    earlier = contact(ctx, referral, on=today, at=dt.time(0, 0))
    assert earlier.attendance == "attended"


def test_an_appointment_can_be_booked_in_the_future_and_the_timeline_says_so(ctx, referral):
    booked = contact(ctx, referral, on=TODAY + 14 * DAY, at=dt.time(10, 30), attendance="booked")
    assert (booked.on, booked.attendance, booked.staff) == (
        TODAY + 14 * DAY, "booked", ctx.clinician.membership)
    assert booked.staff_role == "mhp" and booked.team == ctx.pcn_team
    event = _reload(referral).events.order_by("-at").first()
    assert (event.kind, event.effective_on) == ("contact_booked", TODAY + 14 * DAY)
    assert event.details["attendance"] == "Booked, not happened yet"
    # Care is recorded beside the referral: its version is untouched.
    assert _reload(referral).version == referral.version


def test_a_contact_with_no_referral_needs_a_team_and_adds_no_referral_event(ctx, referral):
    events = ReferralEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.contact_record(actor=ctx.clinician, referral=None,
                                data=services.ContactInput(on=TODAY, mode="telephone",
                                                           attendance="attended",
                                                           purpose="advice_to_professional"))
    assert "Choose the team" in caught.value.message_dict["team"][0]
    advice = services.contact_record(
        actor=ctx.clinician, referral=None,
        data=services.ContactInput(on=TODAY, mode="telephone", attendance="attended",
                                   purpose="advice_to_professional", team=ctx.pcn_team,
                                   organisation=ctx.practice, note=" Advised on sertraline "),
    )
    assert (advice.referral, advice.team, advice.organisation, advice.note) == (
        None, ctx.pcn_team, ctx.practice, "Advised on sertraline")
    assert ReferralEvent.objects.count() == events


def test_a_joint_worker_who_has_left_the_team_may_still_be_named_on_a_contact(ctx):
    member = TeamMembership.objects.create(tenant=ctx.tenant, team=ctx.pcn_team,
                                           membership=ctx.other_clinician.membership)
    shared = allocated(ctx, joint=[ctx.other_clinician.membership])
    member.delete()
    held = contact(ctx, shared, on=TODAY, staff=ctx.other_clinician.membership)
    assert (held.staff, held.staff_role, held.team) == (
        ctx.other_clinician.membership, "mhp", ctx.pcn_team)


def test_recording_what_happened_at_a_booked_appointment(ctx, referral):
    booked = contact(ctx, referral, on=TODAY - DAY, at=dt.time(9, 0), attendance="booked")
    done = services.contact_record_outcome(contact=booked, actor=ctx.clinician,
                                           version=booked.version, attendance="dna",
                                           note="Rang twice, no answer")
    assert (done.attendance, done.on, done.at, done.version) == (
        "dna", TODAY - DAY, dt.time(9, 0), booked.version + 1)
    assert done.note == "Rang twice, no answer"
    assert _reload(referral).events.order_by("-at").first().kind == "contact_recorded"
    with pytest.raises(ValidationError) as caught:
        services.contact_record_outcome(contact=booked, actor=ctx.clinician,
                                        version=done.version, attendance="attended")
    assert "already has an outcome" in caught.value.message_dict["attendance"][0]


def test_a_future_appointment_cannot_be_marked_attended_before_the_day(ctx, referral):
    booked = contact(ctx, referral, on=TODAY + 3 * DAY, attendance="booked")
    assert_refused(
        referral,
        lambda: services.contact_record_outcome(contact=booked, actor=ctx.clinician,
                                                version=booked.version, attendance="attended"),
        "on", "cannot be in the future")
    assert_refused(
        referral,
        lambda: services.contact_record_outcome(contact=booked, actor=ctx.clinician,
                                                version=booked.version, attendance="booked"),
        "attendance", "Choose what happened.")


def test_two_people_recording_the_same_appointment_the_second_gets_a_conflict(ctx, referral):
    booked = contact(ctx, referral, on=TODAY, attendance="booked")
    services.contact_record_outcome(contact=booked, actor=ctx.clinician,
                                    version=booked.version, attendance="attended")
    with pytest.raises(Conflict) as caught:
        services.contact_record_outcome(contact=booked, actor=ctx.peer_support,
                                        version=booked.version, attendance="dna")
    assert "changed this contact" in caught.value.message
    assert Contact.objects.get(pk=booked.pk).attendance == "attended"


def _wait_for_a_session_waiting_on_a_lock(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            # Statistics are read once per transaction unless the snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()")
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the other session never waited for the referral")
            time.sleep(0.02)


def _outcome_of_booking(cast, referral):
    booked = contact(cast, referral, on=TODAY, attendance="booked")
    return Contact, booked, lambda: services.contact_record_outcome(
        contact=booked, actor=cast.clinician, version=booked.version, attendance="attended")


def _end_of_intervention(cast, referral):
    running = _intervention(started_on=TODAY - DAY)(cast, referral)
    return Intervention, running, lambda: services.intervention_end(
        intervention=running, actor=cast.clinician, version=running.version, ended_on=TODAY)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", [_outcome_of_booking, _end_of_intervention],
                         ids=["contact-outcome", "intervention-end"])
def test_changing_a_care_record_waits_for_the_referral_before_locking_the_record(
    tenant_a, change
):
    """A discharge locks the referral, then its booked contacts and running interventions.
    Changing one of those records must take the locks in the same order, or the two deadlock."""
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        referral = allocated(cast)
        model, record, call = change(cast, referral)
    outcome: dict = {}

    def change_it() -> None:
        try:
            with tenant_context(cast.tenant.pk):
                outcome["record"] = call()
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    other = threading.Thread(target=change_it)
    try:
        with tenant_context(cast.tenant.pk), transaction.atomic():
            Referral.objects.select_for_update().get(pk=referral.pk)  # as a discharge does
            other.start()
            _wait_for_a_session_waiting_on_a_lock()
            # The other session waits for the referral without holding the record.
            model.objects.select_for_update(nowait=True).get(pk=record.pk)
    finally:
        other.join(timeout=30)
    assert "error" not in outcome, outcome
    assert outcome["record"].version == record.version + 1


# --------------------------------------------------------------------------- scores


def test_dialog_scores_quality_of_life_and_treatment_satisfaction_as_two_means(ctx, referral):
    # Life domains 4+5+3+6+2+7+5+4 = 36, / 8 = 4.50; treatment 5+6+7 = 18, / 3 = 6.00.
    items = [4, 5, 3, 6, 2, 7, 5, 4, 5, 6, 7]
    measure = services.outcome_record(referral=referral, actor=ctx.clinician, tool="dialog",
                                      completed_on=TODAY, items=items,
                                      wants_more_help=[True] * 3 + [False] * 8)
    assert measure.score == Decimal("4.50")
    assert measure.subscores == {"quality_of_life": "4.50", "treatment_satisfaction": "6.00"}
    stored = OutcomeMeasure.objects.get(pk=measure.pk)
    assert (stored.score, stored.items, stored.wants_more_help[:4]) == (
        Decimal("4.50"), items, [True, True, True, False])
    event = _reload(referral).events.order_by("-at").first()
    assert (event.kind, event.details) == ("outcome_recorded",
                                           {"tool": "DIALOG", "score": "4.50",
                                            "outcome_measure": str(measure.pk)})


def test_dialog_means_are_rounded_half_up_to_two_places():
    # 1 + 2 * 7 = 15, / 8 = 1.875 -> 1.88; 5 + 5 + 6 = 16, / 3 = 5.333 -> 5.33.
    score, subscores = TOOLS["dialog"].score([1, 2, 2, 2, 2, 2, 2, 2, 5, 5, 6])
    assert score == Decimal("1.88")
    assert subscores == {"quality_of_life": "1.88", "treatment_satisfaction": "5.33"}
    assert TOOLS["dialog"].total_range == (1, 7)


def _items_summing_to(tool: str, total: int) -> list[int]:
    spec = TOOLS[tool]
    items = []
    for _ in spec.items:
        value = min(spec.maximum, total - sum(items))
        items.append(value)
    assert sum(items) == total
    return items


BAND_EDGES = [
    ("phq9", 0, "Minimal"), ("phq9", 4, "Minimal"), ("phq9", 5, "Mild"), ("phq9", 9, "Mild"),
    ("phq9", 10, "Moderate"), ("phq9", 14, "Moderate"), ("phq9", 15, "Moderately severe"),
    ("phq9", 19, "Moderately severe"), ("phq9", 20, "Severe"), ("phq9", 27, "Severe"),
    ("gad7", 0, "Minimal"), ("gad7", 4, "Minimal"), ("gad7", 5, "Mild"), ("gad7", 9, "Mild"),
    ("gad7", 10, "Moderate"), ("gad7", 14, "Moderate"), ("gad7", 15, "Severe"),
    ("gad7", 21, "Severe"),
    ("core10", 0, "Healthy"), ("core10", 5, "Healthy"), ("core10", 6, "Low"),
    ("core10", 10, "Low"), ("core10", 11, "Mild"), ("core10", 14, "Mild"),
    ("core10", 15, "Moderate"), ("core10", 19, "Moderate"), ("core10", 20, "Moderate to severe"),
    ("core10", 24, "Moderate to severe"), ("core10", 25, "Severe"), ("core10", 40, "Severe"),
    ("reqol10", 0, "Clinical range"), ("reqol10", 24, "Clinical range"),
    ("reqol10", 25, "Non-clinical range"), ("reqol10", 40, "Non-clinical range"),
]


@pytest.mark.parametrize("tool,total,band", BAND_EDGES,
                         ids=[f"{tool}-{total}" for tool, total, _ in BAND_EDGES])
def test_questionnaire_totals_fall_in_the_published_bands_at_their_edges(tool, total, band):
    spec = TOOLS[tool]
    score, subscores = spec.score(_items_summing_to(tool, total))
    assert (score, subscores) == (Decimal(total), {})
    assert spec.band(score) == band


@pytest.mark.parametrize("tool", ["phq9", "gad7", "core10", "reqol10"])
def test_every_possible_total_has_a_band_and_the_bands_end_at_the_maximum(tool):
    spec = TOOLS[tool]
    low, high = spec.total_range
    assert (low, spec.bands[-1].upto) == (0, high)
    assert all(spec.band(Decimal(total)) for total in range(low, high + 1))


def test_item_counts_and_ranges_are_those_of_the_published_questionnaires():
    shape = {tool: (len(spec.items), spec.minimum, spec.maximum, spec.higher_is_better)
             for tool, spec in TOOLS.items()}
    assert shape == {
        "dialog": (11, 1, 7, True), "reqol10": (10, 0, 4, True), "phq9": (9, 0, 3, False),
        "gad7": (7, 0, 3, False), "core10": (10, 0, 4, False),
    }
    assert set(TOOLS) == set(OutcomeTool.values)


def test_the_risk_items_point_at_the_questions_about_ending_life():
    assert TOOLS["phq9"].items[RISK_ITEMS["phq9"]] == (
        "Thoughts of self-harm or being better off dead")
    assert TOOLS["core10"].items[RISK_ITEMS["core10"]] == "Plans to end life"


def test_a_recorded_phq9_stores_its_total(ctx, referral):
    measure = services.outcome_record(referral=referral, actor=ctx.clinician, tool="phq9",
                                      completed_on=TODAY, items=_items_summing_to("phq9", 15))
    assert OutcomeMeasure.objects.get(pk=measure.pk).score == Decimal("15.00")
    assert TOOLS["phq9"].band(measure.score) == "Moderately severe"


# --------------------------------------------------------------------------- activation


@pytest.mark.parametrize("kind", AssessmentKind.values)
def test_only_an_assessing_kind_makes_an_allocated_referral_active(ctx, referral, kind):
    services.assessment_record(
        referral=referral, actor=ctx.clinician,
        data=services.AssessmentInput(kind=kind, assessed_on=TODAY - DAY, summary="Seen",
                                      risk_summary="Low risk"),
    )
    after = _reload(referral)
    kinds = list(after.events.order_by("at").values_list("kind", flat=True))
    if kind in ASSESSING_KINDS:
        assert after.status == Status.ACTIVE and after.version == referral.version + 1
        assert kinds[-2:] == ["assessment_recorded", "activated"]
        assert after.events.get(kind="activated").effective_on == TODAY - DAY
    else:
        assert after.status == Status.ALLOCATED and after.version == referral.version
        assert kinds[-1] == "assessment_recorded" and "activated" not in kinds


def test_a_second_assessment_does_not_activate_again(ctx, referral):
    for kind in ["initial", "risk"]:
        services.assessment_record(
            referral=referral, actor=ctx.clinician,
            data=services.AssessmentInput(kind=kind, assessed_on=TODAY, summary="Seen",
                                          risk_summary="Low risk"))
    assert _reload(referral).events.filter(kind="activated").count() == 1


def test_an_assessment_before_allocation_does_not_make_the_referral_active(ctx):
    waiting = make_referral(ctx)
    waiting = referral_services.referral_accept(referral=waiting, actor=ctx.team_lead,
                                                version=waiting.version)
    services.assessment_record(
        referral=waiting, actor=ctx.team_lead,
        data=services.AssessmentInput(kind="initial", assessed_on=TODAY, summary="Seen",
                                      risk_summary="Low risk"))
    assert _reload(waiting).status == Status.ACCEPTED


def test_an_assessment_cannot_point_at_another_referrals_contact(ctx, referral):
    elsewhere = contact(ctx, allocated(ctx), on=TODAY)
    assert_refused(referral, lambda: _assessment(contact=elsewhere)(ctx, referral), "contact",
                   "Choose a contact on this referral.")


# --------------------------------------------------------------------------- care plans


def test_each_save_of_a_care_plan_adds_a_version_and_keeps_the_old_one_as_it_was(
    ctx, referral
):
    first = services.care_plan_save(referral=referral, actor=ctx.clinician, version=None,
                                     data=plan_input())
    assert first.number == 1 and first.plan.version == 1
    second = services.care_plan_save(
        referral=referral, actor=ctx.team_lead, version=1,
        data=plan_input(goals=["Join the walking group"], co_produced_with=["person", "vcse"],
                        agreed_on=TODAY, review_by=TODAY + 30 * DAY))
    assert (second.number, second.plan_id) == (2, first.plan_id)
    assert CarePlan.objects.get(referral=referral).version == 2
    old = CarePlanVersion.objects.get(pk=first.pk)
    assert (old.number, old.goals, old.co_produced_with, old.agreed_on, old.recorded_by) == (
        1, ["Get back to the allotment", "Sleep through the night"], ["person", "carer"],
        TODAY - 2 * DAY, ctx.clinician)
    new = CarePlanVersion.objects.get(pk=second.pk)
    assert (new.goals, new.review_by, new.recorded_by) == (
        ["Join the walking group"], TODAY + 30 * DAY, ctx.team_lead)
    events = _reload(referral).events.filter(kind="care_plan_saved").order_by("at")
    assert [event.details["version"] for event in events] == [1, 2]
    assert events[0].effective_on == TODAY - 2 * DAY


def test_a_draft_care_plan_has_no_agreement_date_and_is_dated_today(ctx, referral):
    draft = services.care_plan_save(referral=referral, actor=ctx.clinician, version=0,
                                    data=plan_input(agreed_on=None))
    assert draft.agreed_on is None
    event = _reload(referral).events.get(kind="care_plan_saved")
    assert (event.effective_on, event.details["agreed_on"]) == (TODAY, "")


def test_saving_a_care_plan_over_a_version_someone_else_replaced_is_a_conflict(ctx, referral):
    services.care_plan_save(referral=referral, actor=ctx.clinician, version=None,
                            data=plan_input())
    services.care_plan_save(referral=referral, actor=ctx.team_lead, version=1,
                            data=plan_input(goals=["Lead's change"]))
    before = _state(referral)
    for stale in [1, None]:  # read version 1; or started a plan someone else also started
        with pytest.raises(Conflict) as caught:
            services.care_plan_save(referral=referral, actor=ctx.clinician, version=stale,
                                    data=plan_input(goals=["My change"]))
        assert "changed this care plan" in caught.value.message
    assert _state(referral) == before
    assert CarePlanVersion.objects.filter(plan__referral=referral).count() == 2


def test_care_plan_versions_are_append_only_for_the_application(ctx, referral):
    assert "caseload_careplanversion" in APPEND_ONLY_TABLES
    saved = services.care_plan_save(referral=referral, actor=ctx.clinician, version=None,
                                    data=plan_input())
    for sql in ["UPDATE caseload_careplanversion SET safety_plan = 'changed'",
                "DELETE FROM caseload_careplanversion",
                "TRUNCATE caseload_careplanversion CASCADE"]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert CarePlanVersion.objects.get(pk=saved.pk).safety_plan == plan_input().safety_plan


# --------------------------------------------------------------------------- interventions


def test_an_intervention_cannot_end_before_it_started(ctx, referral):
    running = _intervention(started_on=TODAY - 5 * DAY)(ctx, referral)
    assert_refused(
        referral,
        lambda: services.intervention_end(intervention=running, actor=ctx.clinician,
                                          version=running.version, ended_on=TODAY - 6 * DAY),
        "ended_on", "The end cannot be before the start")
    assert_refused(
        referral,
        lambda: services.intervention_end(intervention=running, actor=ctx.clinician,
                                          version=running.version, ended_on=None),
        "ended_on", "Enter the date it ended.")
    ended = services.intervention_end(intervention=running, actor=ctx.clinician,
                                      version=running.version, ended_on=TODAY - 5 * DAY)
    assert (ended.ended_on, ended.version) == (TODAY - 5 * DAY, running.version + 1)
    with pytest.raises(Conflict):
        services.intervention_end(intervention=running, actor=ctx.clinician,
                                  version=running.version, ended_on=TODAY)
    with pytest.raises(ValidationError) as caught:
        services.intervention_end(intervention=running, actor=ctx.clinician,
                                  version=ended.version, ended_on=TODAY)
    assert "already ended" in caught.value.message_dict["ended_on"][0]


def test_peer_support_workers_may_deliver_peer_support_but_not_therapy(ctx, referral):
    peer = _intervention(kind="peer_support", delivered_by="peer_support")(ctx, referral)
    assert (peer.kind, peer.delivered_by) == ("peer_support", ctx.peer_support.membership)
    assert _reload(referral).events.order_by("-at").first().details == {
        "kind": "Peer support", "intervention": str(peer.pk)}
    with pytest.raises(ValidationError):
        _intervention(kind="psychosocial", delivered_by="peer_support")(ctx, referral)


# --------------------------------------------------------------------------- risk concerns


def test_raising_a_risk_concern_records_it_and_queues_one_email_after_commit(
    ctx, referral, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        concern = services.risk_concern_raise(referral=referral, actor=ctx.peer_support,
                                              concern=" Talked about ending things ")
    assert (concern.concern, concern.raised_by, concern.is_open) == (
        "Talked about ending things", ctx.peer_support, True)
    # one email; the other callback announces the change (a metrics refresh)
    emails = [c for c in callbacks if "risk_concern" in c.__qualname__]
    assert len(emails) == 1
    assert len(callbacks) == 2
    event = _reload(referral).events.order_by("-at").first()
    assert (event.kind, event.details) == ("risk_concern_raised", {"concern": str(concern.pk)})
    assert "ending things" not in str(event.details)


def test_a_lead_acknowledges_a_concern_once(ctx, referral, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        concern = services.risk_concern_raise(referral=referral, actor=ctx.clinician,
                                              concern="Not eating")
    assert_refused(
        referral,
        lambda: services.risk_concern_acknowledge(concern=concern, actor=ctx.team_lead,
                                                  version=concern.version, response=" "),
        "response", "Say what you did")
    done = services.risk_concern_acknowledge(concern=concern, actor=ctx.team_lead,
                                             version=concern.version,
                                             response="Called them; GP to review today")
    assert (done.acknowledged_by, done.response, done.is_open) == (
        ctx.team_lead, "Called them; GP to review today", False)
    with pytest.raises(Conflict):
        services.risk_concern_acknowledge(concern=concern, actor=ctx.team_lead,
                                          version=concern.version, response="Again")
    with pytest.raises(ValidationError) as caught:
        services.risk_concern_acknowledge(concern=concern, actor=ctx.team_lead,
                                          version=done.version, response="Again")
    assert "already been acknowledged" in caught.value.message_dict["response"][0]


# --------------------------------------------------------------------------- discharge


def test_a_discharge_records_its_reason_date_and_note(ctx, referral):
    contact(ctx, referral, on=TODAY - 10 * DAY)
    done = services.referral_discharge(referral=referral, actor=ctx.clinician,
                                       version=referral.version, reason="goals_met",
                                       on=TODAY - 10 * DAY, note=" Back at work ")
    stored = _reload(referral)
    assert (stored.status, stored.discharged_on, stored.discharge_reason,
            stored.discharge_note, stored.version) == (
        Status.DISCHARGED, TODAY - 10 * DAY, "goals_met", "Back at work", referral.version + 1)
    assert done.status == Status.DISCHARGED
    event = stored.events.order_by("-at").first()
    assert (event.kind, event.from_status, event.to_status, event.effective_on) == (
        "discharged", "allocated", "discharged", TODAY - 10 * DAY)
    assert (event.reason, event.details) == ("Back at work", {"reason": "Goals met"})


@pytest.mark.parametrize("reason,label", [("stepped_up", "Stepped up to secondary care"),
                                          ("stepped_down", "Stepped down to primary care")])
def test_a_step_up_or_down_is_its_own_event_with_where_the_person_went(
    ctx, referral, reason, label
):
    services.referral_discharge(referral=referral, actor=ctx.clinician,
                                version=referral.version, reason=reason,
                                destination=" North CMHT ")
    stored = _reload(referral)
    assert (stored.status, stored.discharge_reason, stored.discharge_destination) == (
        Status.DISCHARGED, reason, "North CMHT")
    event = stored.events.order_by("-at").first()
    assert (event.kind, event.to_status) == (reason, "discharged")
    assert event.details == {"reason": label, "destination": "North CMHT"}
    assert not stored.events.filter(kind="discharged").exists()


def test_a_discharge_cannot_be_dated_before_the_last_attended_contact(ctx, referral):
    contact(ctx, referral, on=TODAY - 20 * DAY)
    contact(ctx, referral, on=TODAY - 5 * DAY)
    assert_refused(referral, lambda: _discharge(on=TODAY - 6 * DAY)(ctx, referral),
                   "discharged_on",
                   f"The discharge cannot be before the last contact "
                   f"({TODAY - 5 * DAY:%d/%m/%Y}).")
    on_the_day = _discharge(on=TODAY - 5 * DAY)(ctx, referral)
    assert on_the_day.discharged_on == TODAY - 5 * DAY


def test_a_discharge_ends_running_interventions_and_cancels_later_appointments(ctx, referral):
    therapy = _intervention(started_on=TODAY - 20 * DAY)(ctx, referral)
    group = _intervention(kind="group", started_on=TODAY - 25 * DAY,
                          ended_on=TODAY - 15 * DAY)(ctx, referral)
    seen = contact(ctx, referral, on=TODAY - 3 * DAY)
    booked_later = [contact(ctx, referral, on=day, attendance="booked")
                    for day in [TODAY, TODAY + 7 * DAY]]
    services.referral_discharge(referral=referral, actor=ctx.clinician,
                                version=referral.version, reason="declined")
    ended = Intervention.objects.get(pk=therapy.pk)
    assert (ended.ended_on, ended.version) == (TODAY, therapy.version + 1)
    assert Intervention.objects.get(pk=group.pk).ended_on == TODAY - 15 * DAY
    for booked in booked_later:
        cancelled = Contact.objects.get(pk=booked.pk)
        assert (cancelled.attendance, cancelled.version) == (
            "cancelled_by_provider", booked.version + 1)
    assert Contact.objects.get(pk=seen.pk).attendance == "attended"
    event = _reload(referral).events.order_by("-at").first()
    assert event.details == {"reason": "Declined further support", "interventions_ended": 1,
                             "appointments_cancelled": 2}


def test_a_discharge_cannot_be_dated_before_a_running_intervention_started(ctx, referral):
    therapy = _intervention(started_on=TODAY - 4 * DAY)(ctx, referral)
    assert_refused(referral, lambda: _discharge(on=TODAY - 6 * DAY)(ctx, referral),
                   "discharged_on", "cannot be before the start of an intervention still "
                   f"running ({TODAY - 4 * DAY:%d/%m/%Y})")
    _discharge(on=TODAY - 4 * DAY)(ctx, referral)
    assert Intervention.objects.get(pk=therapy.pk).ended_on == TODAY - 4 * DAY


def test_a_discharge_over_a_change_someone_else_made_is_a_conflict(ctx, referral):
    stale = referral.version
    referral_services.referral_reallocate(referral=referral, actor=ctx.team_lead,
                                          version=stale, worker=ctx.team_lead.membership)
    with pytest.raises(Conflict):
        services.referral_discharge(referral=referral, actor=ctx.clinician, version=stale,
                                    reason="goals_met")
    assert _reload(referral).status == Status.ALLOCATED


def test_a_referral_awaiting_triage_cannot_be_discharged(ctx):
    waiting = make_referral(ctx)
    with pytest.raises(IllegalTransition) as caught:
        services.referral_discharge(referral=waiting, actor=ctx.clinician,
                                    version=waiting.version, reason="goals_met")
    assert "cannot be discharged" in caught.value.messages[0]


def test_a_discharged_referral_refuses_new_care_records(ctx, referral):
    discharged = _discharge()(ctx, referral)
    before = _state(discharged)
    attempts = [
        lambda: contact(ctx, discharged, on=TODAY),
        lambda: contact(ctx, discharged, on=TODAY + DAY, attendance="booked"),
        lambda: _assessment()(ctx, discharged),
        lambda: _plan()(ctx, discharged),
        lambda: _intervention()(ctx, discharged),
        lambda: _outcome("gad7", [1] * 7)(ctx, discharged),
        lambda: services.risk_concern_raise(referral=discharged, actor=ctx.clinician,
                                            concern="Worried"),
    ]
    for attempt in attempts:
        with pytest.raises(IllegalTransition) as caught:
            attempt()
        assert "This referral is discharged, so it cannot be" in caught.value.messages[0]
    assert _state(discharged) == before


# --------------------------------------------------------------------------- re-referral


def _discharged(cast, *, days_ago: int, joint=(), team=None, worker=None, person=None):
    first = allocated(cast, days_ago=days_ago + 30, joint=joint, team=team, worker=worker,
                      person=person)
    return services.referral_discharge(referral=first, actor=cast.clinician,
                                       version=first.version, reason="goals_met",
                                       on=TODAY - dt.timedelta(days=days_ago))


def test_a_re_referral_within_the_window_reopens_the_episode_with_the_same_workers(ctx):
    first = _discharged(ctx, days_ago=20, joint=[ctx.peer_support.membership])
    again = make_referral(ctx, person=first.person, received_on=TODAY)
    stored = _reload(again)
    # What the caller gets back is the referral as saved, not as first inserted.
    assert (again.status, again.version, again.worker) == (
        stored.status, stored.version, stored.worker)
    assert stored.status == Status.ALLOCATED
    assert (stored.episode_id, stored.previous_referral_id) == (first.episode_id, first.pk)
    assert stored.pk != first.pk
    assert (stored.worker, list(stored.joint_workers.all())) == (
        ctx.clinician.membership, [ctx.peer_support.membership])
    assert (stored.triaged_on, stored.triaged_by, stored.allocated_on) == (
        TODAY, ctx.clinician, TODAY)
    assert "Re-referred within 90 days of discharge on" in stored.decision_note
    kinds = list(stored.events.order_by("at").values_list("kind", flat=True))
    assert kinds == ["received", "reopened", "allocated"]
    assert stored.events.get(kind="reopened").from_status == Status.AWAITING_TRIAGE


def test_a_re_referral_on_the_last_day_of_the_window_still_reopens_the_episode(ctx):
    first = _discharged(ctx, days_ago=90)
    again = make_referral(ctx, person=first.person, received_on=TODAY)
    assert _reload(again).episode_id == first.episode_id


def test_a_re_referral_after_the_window_is_triaged_as_new(ctx):
    first = _discharged(ctx, days_ago=91)
    again = _reload(make_referral(ctx, person=first.person, received_on=TODAY))
    assert again.status == Status.AWAITING_TRIAGE
    assert (again.episode_id == first.episode_id, again.previous_referral_id) == (False, None)
    assert again.worker is None


def test_a_re_referral_to_another_team_is_linked_but_does_not_reopen_the_episode(ctx):
    first = _discharged(ctx, days_ago=10)
    again = _reload(make_referral(ctx, person=first.person, received_on=TODAY,
                                  team=ctx.other_pcn_team))
    assert again.previous_referral_id == first.pk
    assert again.status == Status.AWAITING_TRIAGE and again.episode_id != first.episode_id


def test_a_re_referral_reopens_its_own_teams_episode_after_a_later_discharge_elsewhere(ctx):
    here = _discharged(ctx, days_ago=30)
    _discharged(ctx, days_ago=10, team=ctx.other_pcn_team, worker=ctx.other_clinician.membership,
                person=here.person)
    again = _reload(make_referral(ctx, person=here.person, received_on=TODAY))
    assert (again.status, again.episode_id, again.previous_referral_id) == (
        Status.ALLOCATED, here.episode_id, here.pk)


def test_a_reopened_episode_waits_for_a_lead_when_the_worker_has_left_the_team(ctx):
    first = _discharged(ctx, days_ago=20)
    TeamMembership.objects.filter(membership=ctx.clinician.membership,
                                  team=ctx.pcn_team).delete()
    again = _reload(make_referral(ctx, person=first.person, received_on=TODAY))
    assert (again.status, again.worker, again.episode_id) == (
        Status.ACCEPTED, None, first.episode_id)


def test_a_reopened_episode_drops_joint_workers_who_are_no_longer_active(ctx):
    first = _discharged(ctx, days_ago=20,
                        joint=[ctx.peer_support.membership, ctx.connector.membership])
    leaver = ctx.connector.membership
    leaver.is_active = False
    leaver.save(update_fields=["is_active"])
    again = _reload(make_referral(ctx, person=first.person, received_on=TODAY))
    assert (again.worker, list(again.joint_workers.all())) == (
        ctx.clinician.membership, [ctx.peer_support.membership])
