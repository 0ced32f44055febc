"""Referral services: every transition allowed and refused, validation, concurrency, merges."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from caseload import services as caseload_services
from caseload.models import Intervention, RiskConcern
from config.exceptions import Conflict
from pcns.models import AuditEvent, IntakePause
from pcns.tenancy import tenant_context
from referrals import doors, services
from referrals.models import IntakeRefusal, Person, PersonMerge, Referral, ReferralEvent
from referrals.states import CARE_EVENTS, TRANSITIONS, EventKind, IllegalTransition, Status
from referrals.validators import normalise_nhs_number
from tests.factories import (
    make_onward_referral,
    make_person,
    make_referral,
    person_input,
    referral_input,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def _reload(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)


def _in_status(cast, status: str) -> Referral:
    """A referral brought to ``status`` through the services."""
    actor = cast.clinician
    referral = make_referral(cast)
    if status == Status.AWAITING_TRIAGE:
        return referral
    if status == Status.AWAITING_MDT:
        return services.referral_flag_for_mdt(referral=referral, actor=actor,
                                              version=referral.version, note="Discuss")
    if status == Status.REDIRECTED:
        return services.referral_redirect(referral=referral, actor=actor, version=referral.version,
                                          destination="talking_therapies", note="Spoke to Sam")
    if status == Status.REJECTED:
        return services.referral_reject(referral=referral, actor=actor, version=referral.version,
                                        reason="not_eligible")
    referral = services.referral_accept(referral=referral, actor=actor, version=referral.version)
    if status == Status.ACCEPTED:
        return referral
    referral = services.referral_allocate(referral=referral, actor=actor, version=referral.version,
                                          worker=cast.clinician.membership)
    if status == Status.ALLOCATED:
        return referral
    if status == Status.ACTIVE:
        Referral.objects.filter(pk=referral.pk).update(status=Status.ACTIVE)
        return _reload(referral)
    return caseload_services.referral_discharge(referral=referral, actor=actor,
                                                version=referral.version, reason="goals_met")


def _perform(cast, referral: Referral, event: EventKind) -> Referral:
    actor, version = cast.clinician, referral.version
    calls = {
        EventKind.ACCEPTED: lambda: services.referral_accept(
            referral=referral, actor=actor, version=version),
        EventKind.REDIRECTED: lambda: services.referral_redirect(
            referral=referral, actor=actor, version=version, destination="crisis",
            note="Handed to the crisis team by phone"),
        EventKind.REJECTED: lambda: services.referral_reject(
            referral=referral, actor=actor, version=version, reason="insufficient_information"),
        EventKind.FLAGGED_FOR_MDT: lambda: services.referral_flag_for_mdt(
            referral=referral, actor=actor, version=version, note="Complex history"),
        EventKind.ALLOCATED: lambda: services.referral_allocate(
            referral=referral, actor=actor, version=version, worker=cast.team_lead.membership),
        EventKind.REALLOCATED: lambda: services.referral_reallocate(
            referral=referral, actor=actor, version=version, worker=cast.team_lead.membership),
        EventKind.DISCHARGED: lambda: caseload_services.referral_discharge(
            referral=referral, actor=actor, version=version, reason="goals_met"),
        EventKind.STEPPED_UP: lambda: caseload_services.referral_discharge(
            referral=referral, actor=actor, version=version, reason="stepped_up",
            destination="North CMHT"),
        EventKind.STEPPED_DOWN: lambda: caseload_services.referral_discharge(
            referral=referral, actor=actor, version=version, reason="stepped_down",
            destination="The person's GP"),
        EventKind.REOPENED: lambda: _reopen(cast, referral),
        EventKind.IDENTITY_CHECKED: lambda: _check_identity(cast, referral),
        EventKind.ACTIVATED: lambda: _activate(cast, referral),
        **{event: lambda event=event: _record_care(cast, referral, event)
           for event in CARE_EVENTS},
    }
    return calls[event]()


def _check_identity(cast, referral: Referral) -> Referral:
    """As for a self-referral: the mark is set, then a lead records how they checked."""
    Referral.objects.filter(pk=referral.pk).update(identity_checked=False)
    return doors.referral_confirm_identity(referral=referral, actor=cast.team_lead,
                                           version=referral.version, note="Traced on the Spine")


def _reopen(cast, referral: Referral) -> Referral:
    """What intake does for a re-referral to the same team within the window."""
    previous = Referral(team=referral.team, worker=None, episode_id=referral.pk,
                        discharged_on=referral.received_on)
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        services._reopen_episode(locked, previous=previous, actor=cast.clinician)
    return _reload(referral)


def _activate(cast, referral: Referral) -> Referral:
    with transaction.atomic():
        locked = services.lock_referral(referral, referral.version)
        caseload_services._activate(locked, actor=cast.clinician, on=TODAY)
    return _reload(referral)


def _record_care(cast, referral: Referral, event: EventKind) -> Referral:
    """Each care event through its service; those acting on a record make the record first,
    directly, so only the event under test goes through the state check."""
    actor = cast.clinician
    if event in {EventKind.CONTACT_BOOKED, EventKind.CONTACT_RECORDED}:
        attendance = "booked" if event == EventKind.CONTACT_BOOKED else "attended"
        caseload_services.contact_record(actor=actor, referral=referral,
                                         data=caseload_services.ContactInput(
                                             on=TODAY, mode="telephone", attendance=attendance,
                                             purpose="review"))
    elif event == EventKind.ASSESSMENT_RECORDED:
        caseload_services.assessment_record(referral=referral, actor=actor,
                                            data=caseload_services.AssessmentInput(
                                                kind="consultation", assessed_on=TODAY,
                                                summary="Talked it through"))
    elif event == EventKind.CARE_PLAN_SAVED:
        caseload_services.care_plan_save(referral=referral, actor=actor, version=None,
                                         data=caseload_services.CarePlanInput(
                                             goals=["Sleep better"], co_produced_with=["person"],
                                             review_trigger="If sleep worsens",
                                             safety_plan="Call the crisis line"))
    elif event == EventKind.INTERVENTION_STARTED:
        caseload_services.intervention_start(referral=referral, actor=actor,
                                             data=caseload_services.InterventionInput(
                                                 kind="group", started_on=TODAY))
    elif event == EventKind.INTERVENTION_ENDED:
        started = Intervention.objects.create(
            tenant_id=referral.tenant_id, referral=referral, kind="group",
            started_on=referral.received_on, delivered_by=actor.membership, recorded_by=actor)
        caseload_services.intervention_end(intervention=started, actor=actor, version=1,
                                           ended_on=TODAY)
    elif event == EventKind.OUTCOME_RECORDED:
        caseload_services.outcome_record(referral=referral, actor=actor, tool="gad7",
                                         completed_on=TODAY, items=[1] * 7)
    elif event == EventKind.RISK_CONCERN_RAISED:
        caseload_services.risk_concern_raise(referral=referral, actor=actor,
                                             concern="Said they feel unsafe at home")
    elif event == EventKind.RISK_CONCERN_ACKNOWLEDGED:
        concern = RiskConcern.objects.create(tenant_id=referral.tenant_id, referral=referral,
                                             raised_by=actor, concern="Unsafe at home")
        caseload_services.risk_concern_acknowledge(concern=concern, actor=cast.team_lead,
                                                   version=1, response="Called them")
    elif event == EventKind.ONWARD_REFERRAL_SENT:
        make_onward_referral(cast, referral=referral, actor=actor,
                             consent_given_on=max(TODAY, referral.received_on))
    return _reload(referral)


CASES = [
    (status, event, status in transition.sources)
    for event, transition in TRANSITIONS.items()
    for status in Status.values
]


@pytest.mark.parametrize("status,event,allowed", CASES,
                         ids=[f"{e}-from-{s}" for s, e, _ in CASES])
def test_every_transition_is_allowed_or_refused_as_the_state_machine_says(
    ctx, status, event, allowed
):
    referral = _in_status(ctx, status)
    events_before = ReferralEvent.objects.filter(referral=referral).count()
    if allowed:
        changed = _perform(ctx, referral, event)
        # Care is recorded beside a referral, not as a change to it: no version to compare.
        assert changed.version == referral.version + (0 if event in CARE_EVENTS else 1)
        assert ReferralEvent.objects.filter(referral=referral).count() == events_before + 1
        last = ReferralEvent.objects.filter(referral=referral).order_by("-at").first()
        assert last.from_status == status and last.to_status == changed.status
    else:
        with pytest.raises(IllegalTransition) as caught:
            _perform(ctx, referral, event)
        assert "cannot be" in caught.value.messages[0]
        assert _reload(referral).version == referral.version
        assert ReferralEvent.objects.filter(referral=referral).count() == events_before


def test_receiving_a_referral_records_the_event_and_the_audit_row(ctx):
    referral = make_referral(ctx)
    event = referral.events.get()
    assert (event.kind, event.from_status, event.to_status) == ("received", "", "awaiting_triage")
    assert event.effective_on == referral.received_on
    assert AuditEvent.objects.filter(target_id=str(referral.pk), action="create").exists()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"nhs_number": "123"}, "nhs_number", "10 digits"),
        ({"nhs_number": "9434765918"}, "nhs_number", "not a valid NHS number"),
        ({"nhs_number": ""}, "nhs_number", "say why it is not known"),
        ({"date_of_birth": TODAY + dt.timedelta(days=1)}, "date_of_birth", "future"),
        ({"ethnicity": "Q"}, "ethnicity", "not a known code"),
        ({"sex": "x"}, "sex", "not a known code"),
        ({"postcode": "nowhere"}, "postcode", "postcode"),
        ({"interpreter_needed": True}, "language", "interpreter"),
    ],
)
def test_bad_person_details_are_refused_and_nothing_is_saved(ctx, overrides, field, message):
    before = Person.objects.count(), Referral.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.referral_intake(actor=ctx.clinician, person=None,
                                 person_data=person_input(ctx, **overrides),
                                 data=referral_input(ctx))
    assert message in " ".join(caught.value.message_dict[field])
    assert (Person.objects.count(), Referral.objects.count()) == before


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"received_on": TODAY + dt.timedelta(days=1)}, "received_on", "future"),
        ({"received_on": dt.date(1980, 1, 1)}, "received_on", "before the person was born"),
        ({"source": "pigeon"}, "source", "not a known code"),
        ({"urgency": "soon"}, "urgency", "not a known code"),
        ({"presenting_needs": []}, "presenting_needs", "at least one"),
        ({"presenting_needs": ["low_mood", "boredom"]}, "presenting_needs", "'boredom'"),
    ],
)
def test_bad_referral_details_are_refused_and_nothing_is_saved(ctx, overrides, field, message):
    before = Person.objects.count(), Referral.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.referral_intake(actor=ctx.clinician, person=None,
                                 person_data=person_input(ctx),
                                 data=referral_input(ctx, **overrides))
    assert message in " ".join(caught.value.message_dict[field])
    assert (Person.objects.count(), Referral.objects.count()) == before


def test_the_intake_form_hears_about_person_and_referral_errors_together(ctx):
    with pytest.raises(ValidationError) as caught:
        services.referral_intake(
            actor=ctx.clinician, person=None, person_data=person_input(ctx, nhs_number="1"),
            data=referral_input(ctx, received_on=TODAY + dt.timedelta(days=2)),
        )
    assert {"nhs_number", "received_on"} <= set(caught.value.message_dict)


def test_nhs_numbers_are_normalised_and_unique_in_the_tenant(ctx, tenant_b):
    assert normalise_nhs_number("943 476 5919") == "9434765919"
    make_person(ctx, nhs_number="943 476 5919")
    with pytest.raises(ValidationError) as caught:
        make_person(ctx, nhs_number="9434765919")
    assert "already recorded" in caught.value.message_dict["nhs_number"][0]
    # Another place may hold its own record for the same person.
    assert make_person(tenant_b, nhs_number="9434765919").nhs_number == "9434765919"


def test_a_second_open_referral_in_the_same_team_is_refused_with_a_link(ctx):
    first = make_referral(ctx)
    with pytest.raises(ValidationError) as caught:
        make_referral(ctx, person=first.person)
    message = caught.value.message_dict["person"][0]
    assert "already has an open referral" in message
    assert str(first.pk) in message
    assert Referral.objects.filter(person=first.person).count() == 1
    # Another team may take one.
    other = make_referral(ctx, person=first.person, team=ctx.other_pcn_team)
    assert other.status == Status.AWAITING_TRIAGE


def test_the_database_also_refuses_two_open_referrals_for_one_person_and_team(ctx):
    first = make_referral(ctx)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(
            tenant_id=first.tenant_id, person=first.person, team=first.team, source="gp",
            received_on=first.received_on,
        )


def test_a_paused_team_refuses_the_referral_and_the_refusal_is_recorded(ctx):
    refusals = IntakeRefusal.objects.count()
    people = Person.objects.count()
    with pytest.raises(services.IntakePaused) as caught:
        services.referral_intake(
            actor=ctx.clinician, person=None, person_data=person_input(ctx),
            data=referral_input(ctx, received_on=dt.date(2021, 9, 1)),
        )
    assert "is not taking new referrals until 31/10/2021" in caught.value.message_dict["team"][0]
    assert IntakeRefusal.objects.count() == refusals + 1
    assert Person.objects.count() == people  # the person was not half-saved


def test_an_open_ended_pause_refuses_todays_referrals(ctx):
    IntakePause.objects.create(tenant=ctx.tenant, organisation=ctx.pcn, starts_on=TODAY,
                               reason="Clearing a backlog")
    with pytest.raises(services.IntakePaused):
        make_referral(ctx, received_on=TODAY)


def test_a_referral_within_the_window_after_a_discharge_is_linked_to_it(ctx):
    discharged = _in_status(ctx, Status.DISCHARGED)
    again = make_referral(ctx, person=discharged.person, received_on=TODAY)
    assert again.previous_referral_id == discharged.pk
    assert again.events.get(kind="received").details["re_referral_of"] == str(discharged.pk)


def test_a_referral_after_the_window_starts_afresh(ctx):
    ctx.tenant.re_referral_window_days = 30
    ctx.tenant.save(update_fields=["re_referral_window_days"])
    person = make_person(ctx)
    old = make_referral(ctx, person=person, received_on=TODAY - dt.timedelta(days=100))
    old = services.referral_accept(referral=old, actor=ctx.clinician, version=old.version,
                                   on=TODAY - dt.timedelta(days=99))
    caseload_services.referral_discharge(referral=old, actor=ctx.clinician,
                                         version=old.version, reason="goals_met",
                                         on=TODAY - dt.timedelta(days=60))
    again = make_referral(ctx, person=person, received_on=TODAY)
    assert again.previous_referral_id is None


def test_accepting_can_move_the_referral_to_another_team_and_change_urgency(ctx):
    referral = make_referral(ctx)
    accepted = services.referral_accept(referral=referral, actor=ctx.team_lead,
                                        version=referral.version, team=ctx.other_pcn_team,
                                        urgency="urgent", note="Lives in the north")
    assert (accepted.status, accepted.team, accepted.urgency) == (
        "accepted", ctx.other_pcn_team, "urgent")
    assert accepted.triaged_on == TODAY and accepted.triaged_by == ctx.team_lead
    assert accepted.events.last().details["team"] == ctx.other_pcn_team.name


def test_a_redirect_needs_a_destination_and_a_handover_note(ctx):
    referral = make_referral(ctx)
    with pytest.raises(ValidationError) as caught:
        services.referral_redirect(referral=referral, actor=ctx.clinician,
                                   version=referral.version, destination="moon", note="")
    assert set(caught.value.message_dict) == {"destination", "note"}
    assert _reload(referral).status == Status.AWAITING_TRIAGE


def test_a_redirect_is_recorded_with_its_destination_and_is_not_a_rejection(ctx):
    referral = _in_status(ctx, Status.REDIRECTED)
    assert referral.status == Status.REDIRECTED and referral.rejection_reason == ""
    assert referral.events.last().details == {"destination": "NHS Talking Therapies"}


def test_rejecting_for_another_reason_needs_a_note(ctx):
    referral = make_referral(ctx)
    with pytest.raises(ValidationError) as caught:
        services.referral_reject(referral=referral, actor=ctx.clinician,
                                 version=referral.version, reason="other")
    assert "note" in caught.value.message_dict


def test_a_decision_cannot_be_dated_before_the_referral_or_in_the_future(ctx):
    referral = make_referral(ctx)
    for day, text in [(referral.received_on - dt.timedelta(days=1), "before the referral"),
                      (TODAY + dt.timedelta(days=1), "future")]:
        with pytest.raises(ValidationError) as caught:
            services.referral_accept(referral=referral, actor=ctx.clinician,
                                     version=referral.version, on=day)
        assert text in caught.value.message_dict["on"][0]


def test_the_second_of_two_people_acting_on_the_same_referral_gets_a_conflict(ctx):
    referral = make_referral(ctx)
    seen_by_both = referral.version
    services.referral_accept(referral=referral, actor=ctx.team_lead, version=seen_by_both)
    with pytest.raises(Conflict) as caught:
        services.referral_reject(referral=referral, actor=ctx.clinician, version=seen_by_both,
                                 reason="not_eligible")
    assert "changed this referral" in caught.value.message
    assert _reload(referral).status == Status.ACCEPTED


def test_allocation_sets_the_named_and_joint_workers_and_reallocation_replaces_them(ctx):
    referral = _in_status(ctx, Status.ACCEPTED)
    allocated = services.referral_allocate(
        referral=referral, actor=ctx.team_lead, version=referral.version,
        worker=ctx.clinician.membership, joint_workers=[ctx.connector.membership],
    )
    assert allocated.status == Status.ALLOCATED and allocated.worker == ctx.clinician.membership
    assert list(allocated.joint_workers.all()) == [ctx.connector.membership]
    again = services.referral_reallocate(referral=allocated, actor=ctx.team_lead,
                                       version=allocated.version, worker=ctx.team_lead.membership)
    assert again.worker == ctx.team_lead.membership and not again.joint_workers.exists()
    kinds = list(again.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["allocated", "reallocated"]


def test_allocation_refuses_workers_outside_the_team_or_without_a_caseload(ctx):
    referral = _in_status(ctx, Status.ACCEPTED)
    for worker, text in [
        (ctx.other_clinician.membership, "is not a member"),
        (ctx.gp.membership, "does not hold a caseload"),
    ]:
        with pytest.raises(ValidationError) as caught:
            services.referral_allocate(referral=referral, actor=ctx.team_lead,
                                       version=referral.version, worker=worker)
        assert text in caught.value.message_dict["worker"][0]
    with pytest.raises(ValidationError) as caught:
        services.referral_allocate(referral=referral, actor=ctx.team_lead,
                                   version=referral.version, worker=ctx.clinician.membership,
                                   joint_workers=[ctx.clinician.membership])
    assert "cannot also be a joint worker" in caught.value.message_dict["joint_workers"][0]


def test_the_event_log_is_append_only_for_the_application(ctx):
    from django.db import DatabaseError, transaction

    referral = make_referral(ctx)
    for sql in ["UPDATE referrals_referralevent SET reason = 'x'",
                "DELETE FROM referrals_referralevent"]:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert referral.events.count() == 1


def test_merging_moves_referrals_and_undoing_moves_exactly_them_back(ctx):
    kept_referral = make_referral(ctx)
    kept = kept_referral.person
    duplicate = make_person(ctx, nhs_number="", nhs_number_missing_reason="not_yet_traced",
                            family_name=kept.family_name, date_of_birth=kept.date_of_birth)
    dup_referral = make_referral(ctx, person=duplicate, team=ctx.other_pcn_team)
    merge = services.person_merge(kept=kept, merged=duplicate, actor=ctx.tenant_admin,
                                  reason="Same person")
    assert merge.moved_referrals == [dup_referral.pk]
    assert _reload(dup_referral).person_id == kept.pk
    assert Person.objects.get(pk=duplicate.pk).merged_into_id == kept.pk
    assert _reload(dup_referral).events.last().kind == "person_merged"

    services.person_merge_undo(merge=merge, actor=ctx.tenant_admin)
    assert _reload(dup_referral).person_id == duplicate.pk
    assert _reload(kept_referral).person_id == kept.pk
    assert Person.objects.get(pk=duplicate.pk).merged_into_id is None
    assert PersonMerge.objects.get(pk=merge.pk).undone_at is not None
    with pytest.raises(ValidationError):
        services.person_merge_undo(merge=merge, actor=ctx.tenant_admin)


def test_records_with_different_nhs_numbers_cannot_be_merged(ctx):
    one, two = make_person(ctx), make_person(ctx)
    with pytest.raises(ValidationError) as caught:
        services.person_merge(kept=one, merged=two, actor=ctx.tenant_admin, reason="Same")
    assert "different NHS numbers" in caught.value.message_dict["merged"][0]


def test_a_persons_postcode_gives_their_area_and_deprivation_decile(ctx):
    person = make_person(ctx, postcode="s12he")
    assert (person.postcode, person.lsoa_code, person.imd_decile) == ("S1 2HE", "E01033264", 3)
    unknown = make_person(ctx, postcode="LS1 1AA")
    assert (unknown.lsoa_code, unknown.imd_decile) == ("", None)


def test_a_postcode_file_with_a_bad_row_loads_nothing(ctx):
    with pytest.raises(ValidationError) as caught:
        services.postcode_areas_load(rows=[
            {"postcode": "S2 1AA", "lsoa_code": "E01000001", "imd_decile": "5"},
            {"postcode": "S2 1AB", "lsoa_code": "E01000002", "imd_decile": "11"},
        ])
    assert caught.value.message_dict["file"] == [
        "Row 3: needs a postcode, an LSOA code and a decile 1 to 10."]
    from referrals.models import PostcodeArea

    assert not PostcodeArea.objects.filter(postcode="S2 1AA").exists()


ARABIC_INDIC_NHS_NUMBER = "".join(chr(0x0660 + int(d)) for d in "9434765919")


@pytest.mark.parametrize("typed", ["94347659\u00b29", ARABIC_INDIC_NHS_NUMBER])
def test_only_ascii_digits_make_an_nhs_number(typed):
    with pytest.raises(ValidationError) as caught:
        normalise_nhs_number(typed)
    assert "10 digits" in caught.value.messages[0]


def test_a_merge_cannot_be_undone_once_the_kept_record_took_the_duplicates_nhs_number(ctx):
    kept = make_person(ctx, nhs_number="", nhs_number_missing_reason="not_yet_traced")
    duplicate = make_person(ctx, family_name=kept.family_name,
                            date_of_birth=kept.date_of_birth)
    merge = services.person_merge(kept=kept, merged=duplicate, actor=ctx.tenant_admin,
                                  reason="Same person")
    services.person_update(person=kept, actor=ctx.clinician, version=kept.version,
                           data=person_input(ctx, nhs_number=duplicate.nhs_number,
                                             family_name=kept.family_name))
    with pytest.raises(ValidationError) as caught:
        services.person_merge_undo(merge=merge, actor=ctx.tenant_admin)
    assert "cannot be separated again" in caught.value.message_dict["merge"][0]


def test_a_duplicate_open_referral_into_a_paused_team_is_refused_as_a_duplicate(ctx):
    first = make_referral(ctx)
    IntakePause.objects.create(tenant=ctx.tenant, organisation=ctx.pcn, starts_on=TODAY,
                               reason="Clearing a backlog")
    refusals = IntakeRefusal.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.referral_intake(actor=ctx.clinician, person=first.person, person_data=None,
                                 data=referral_input(ctx, received_on=TODAY))
    assert "already has an open referral" in caught.value.message_dict["person"][0]
    assert IntakeRefusal.objects.count() == refusals


def test_reallocation_keeps_the_date_of_the_first_allocation(ctx):
    referral = _in_status(ctx, Status.ACCEPTED)
    first_day = TODAY - dt.timedelta(days=1)
    allocated = services.referral_allocate(referral=referral, actor=ctx.team_lead,
                                           version=referral.version,
                                           worker=ctx.clinician.membership, on=first_day)
    again = services.referral_reallocate(referral=allocated, actor=ctx.team_lead,
                                         version=allocated.version,
                                         worker=ctx.team_lead.membership)
    assert again.allocated_on == first_day
    assert again.events.last().effective_on == TODAY
