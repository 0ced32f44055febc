"""VCSE services: the directory's validation, sending with consent and the minimal data set,
every change of the onward referral state machine, answers, contacts, closing, withdrawing
consent, two workers answering at once, and flagging unanswered referrals."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from caseload import services as caseload_services
from config.exceptions import Conflict
from pcns.models import AuditEvent, Organisation
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import ReferralEvent
from referrals.states import IllegalTransition
from tests.factories import (
    make_onward_referral,
    make_person,
    make_referral,
    make_service,
    onward_input,
    service_input,
)
from vcse import selectors, services
from vcse.codes import OnwardEventKind, OnwardStatus
from vcse.models import (
    Consent,
    OnwardReferral,
    OnwardReferralEvent,
    Service,
    ServiceArea,
    VcseContact,
)
from vcse.states import TRANSITIONS, IllegalOnwardTransition

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)

#: Exactly what a VCSE partner is given about a person.
MINIMAL_DATA_SET = {"given_name", "family_name", "phone", "email", "address", "postcode",
                    "preferred_contact_method", "needs", "risk"}


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


@pytest.fixture
def service(ctx):
    """The cast's directory entry: "Money and benefits advice" of the cast's VCSE, in its PCN."""
    return Service.objects.get(organisation=ctx.vcse)


@pytest.fixture
def referral(ctx):
    """A new referral (received three days ago) of a new person, open and awaiting triage."""
    return make_referral(ctx)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Service, ServiceArea, OnwardReferral, Consent, OnwardReferralEvent,
                          VcseContact, ReferralEvent, AuditEvent)}


def _reload(onward: OnwardReferral) -> OnwardReferral:
    return OnwardReferral.objects.get(pk=onward.pk)


def send(cast, referral, service, **overrides) -> OnwardReferral:
    return services.onward_referral_send(referral=referral, actor=cast.connector,
                                         data=onward_input(service, **overrides))


def sent_days_ago(cast, days: int, **overrides) -> OnwardReferral:
    """An onward referral of a new person, sent (and consented to) ``days`` days ago."""
    referral = make_referral(cast, received_on=TODAY - dt.timedelta(days=days + 5))
    on = TODAY - dt.timedelta(days=days)
    return make_onward_referral(cast, referral=referral, sent_on=on, consent_given_on=on,
                                **overrides)


def accepted(cast, onward: OnwardReferral, on: dt.date | None = None) -> OnwardReferral:
    return services.onward_referral_accept(onward=onward, actor=cast.vcse_worker,
                                           version=onward.version, on=on)


def contact_input(**overrides) -> services.VcseContactInput:
    values = {"on": TODAY, "mode": "telephone", "attendance": "attended",
              "support_types": ["debt_advice"]}
    values.update(overrides)
    return services.VcseContactInput(**values)


def log_contact(cast, onward, **overrides) -> VcseContact:
    return services.vcse_contact_log(onward=onward, actor=cast.vcse_worker,
                                     data=contact_input(**overrides))


def assert_refused(call, field: str, message: str) -> None:
    """The call is refused with ``message`` on ``field``, and nothing at all is saved."""
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        call()
    errors = caught.value.message_dict
    assert any(message in text for text in errors.get(field, [])), errors
    assert _counts() == before


# --------------------------------------------------------------------------- the directory


#: case -> (overrides of service_input for the cast, the field refused, the message)
SERVICE_REFUSALS = {
    "a-blank-name": (lambda c: {"name": "   "}, "name", "Enter the name of the service."),
    "another-services-name-in-other-case": (
        lambda c: {"name": " MONEY and Benefits advice "}, "name",
        "Northtown Mind already lists a service with this name."),
    "no-category": (lambda c: {"categories": []}, "categories",
                    "Choose at least one kind of support."),
    "an-unknown-category": (lambda c: {"categories": ["debt_advice", "astrology"]},
                            "categories", "'astrology' is not a known code."),
    "no-way-to-contact-it": (lambda c: {"email": "", "phone": "  ", "website": ""}, "email",
                             "Give at least one way to contact the service"),
    "a-practice-as-an-area": (lambda c: {"areas": [c.pcn, c.practice]}, "areas",
                              "Northtown Surgery is not a PCN in this place."),
}


@pytest.mark.parametrize("case", list(SERVICE_REFUSALS))
def test_listing_a_service_refuses_bad_input_with_one_clear_message_and_saves_nothing(
    ctx, case
):
    overrides, field, message = SERVICE_REFUSALS[case]
    assert_refused(
        lambda: services.service_create(actor=ctx.tenant_admin, organisation=ctx.vcse,
                                        data=service_input(**overrides(ctx))),
        field, message)


@pytest.mark.parametrize("case", list(SERVICE_REFUSALS))
def test_changing_a_service_refuses_bad_input_and_changes_nothing(ctx, case):
    walk = make_service(ctx, name="Walk and talk", categories=["walk_and_talk"])
    overrides, field, message = SERVICE_REFUSALS[case]
    assert_refused(
        lambda: services.service_update(service=walk, actor=ctx.vcse_lead,
                                        version=walk.version,
                                        data=service_input(**overrides(ctx))),
        field, message)
    stored = Service.objects.get(pk=walk.pk)
    assert (stored.name, stored.categories, stored.version) == (
        "Walk and talk", ["walk_and_talk"], walk.version)


def test_a_pcn_of_another_place_is_not_an_area_of_a_service(ctx, tenant_b):
    assert_refused(
        lambda: services.service_create(actor=ctx.tenant_admin, organisation=ctx.vcse,
                                        data=service_input(name="Garden",
                                                           areas=[tenant_b.pcn])),
        "areas", "Southvale Central PCN is not a PCN in this place.")


@pytest.mark.parametrize("kind", ["trust", "pcn", "practice"])
def test_only_a_vcse_organisation_lists_services(ctx, kind):
    assert_refused(
        lambda: services.service_create(actor=ctx.tenant_admin, organisation=getattr(ctx, kind),
                                        data=service_input(name="Garden")),
        "organisation", "Only a VCSE organisation lists services here.")


def test_every_problem_with_a_service_is_reported_at_once(ctx):
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        services.service_create(actor=ctx.tenant_admin, organisation=ctx.trust,
                                data=service_input(name="", categories=[], email="", phone="",
                                                   areas=[ctx.practice]))
    assert set(caught.value.message_dict) == {"name", "categories", "email", "areas",
                                              "organisation"}
    assert _counts() == before


def test_listing_a_service_saves_it_tidied_with_its_areas_and_an_audit_row(ctx):
    north = ctx.other_pcn_team.host
    garden = services.service_create(
        actor=ctx.vcse_lead, organisation=ctx.vcse,
        data=service_input(name="  Community garden ", categories=["community_garden"] * 2,
                           email=" garden@example.org ", phone="", areas=[north, north]))
    stored = Service.objects.get(pk=garden.pk)
    assert (stored.name, stored.categories, stored.email, stored.tenant_id, stored.version) == (
        "Community garden", ["community_garden"], "garden@example.org", ctx.tenant.pk, 1)
    assert list(stored.areas.all()) == [north]
    audit = AuditEvent.objects.get(target_id=str(garden.pk))
    assert (audit.action, audit.target_type, audit.actor) == ("create", "vcse.service",
                                                               ctx.vcse_lead)


def test_another_organisation_may_use_a_name_already_listed_elsewhere(ctx):
    other = Organisation.objects.create(tenant=ctx.tenant, kind="vcse", name="Citizens Advice")
    listed = make_service(ctx, organisation=other)  # same name as the cast's service
    assert listed.name == Service.objects.get(organisation=ctx.vcse).name


def test_a_service_keeps_its_own_name_when_changed(ctx, service):
    changed = services.service_update(service=service, actor=ctx.vcse_lead,
                                      version=service.version,
                                      data=service_input(areas=[ctx.pcn], capacity_note="Busy"))
    assert (changed.name, changed.capacity_note) == (service.name, "Busy")


def test_changing_a_service_records_which_fields_changed_and_moves_its_version(ctx, service):
    changed = services.service_update(
        service=service, actor=ctx.vcse_lead, version=service.version,
        data=service_input(name="Money advice", is_open=False, areas=[]))
    stored = Service.objects.get(pk=service.pk)
    assert (stored.name, stored.is_open, stored.version) == ("Money advice", False,
                                                             service.version + 1)
    assert stored.updated_at > service.updated_at
    assert not ServiceArea.objects.filter(service=service).exists()
    audit = AuditEvent.objects.get(target_id=str(service.pk), action="change")
    assert (audit.fields, audit.actor) == (["areas", "is_open", "name"], ctx.vcse_lead)
    assert changed.version == stored.version


def test_changing_a_service_someone_else_changed_first_is_a_conflict(ctx, service):
    read = Service.objects.get(pk=service.pk)
    services.service_update(service=service, actor=ctx.tenant_admin, version=read.version,
                            data=service_input(areas=[ctx.pcn], capacity_note="Full"))
    before = _counts()
    with pytest.raises(Conflict) as caught:
        services.service_update(service=read, actor=ctx.vcse_lead, version=read.version,
                                data=service_input(name="Debt help", areas=[ctx.pcn]))
    assert "changed this service" in caught.value.message
    stored = Service.objects.get(pk=service.pk)
    assert (stored.name, stored.capacity_note, stored.version) == (service.name, "Full",
                                                                   read.version + 1)
    assert _counts() == before


# --------------------------------------------------------------------------- sending


def test_sending_shares_exactly_the_minimal_data_set_without_risk(ctx, service):
    person = make_person(ctx, email="alex@example.org", address="1 Example Street",
                         preferred_contact_method="text")
    referral = make_referral(ctx, person=person)
    onward = send(ctx, referral, service)
    shared = _reload(onward).shared
    assert set(shared) == MINIMAL_DATA_SET
    assert shared == {
        "given_name": person.given_name, "family_name": person.family_name,
        "phone": "07700 900123", "email": "alex@example.org", "address": "1 Example Street",
        "postcode": person.postcode, "preferred_contact_method": "Text message",
        "needs": ["Debt advice", "Welfare and benefits advice"], "risk": "",
    }
    as_text = json.dumps(shared)
    assert person.nhs_number not in as_text
    assert person.date_of_birth.isoformat() not in as_text


def test_risk_information_is_shared_only_when_the_person_agreed(ctx, service, referral):
    onward = send(ctx, referral, service, share_risk=True,
                  risk_information="  Has said they sometimes feel hopeless.  ")
    stored = _reload(onward)
    assert set(stored.shared) == MINIMAL_DATA_SET
    assert stored.shared["risk"] == "Has said they sometimes feel hopeless."
    assert stored.consent.includes_risk is True


def test_sending_records_consent_for_that_organisation_and_purpose(ctx, service, referral):
    onward = send(ctx, referral, service, consent_given_by="representative",
                  consent_given_by_name=" Sam Carer ", consent_given_on=TODAY - DAY,
                  consent_purpose=" Money advice ", consent_expires_on=TODAY + 90 * DAY)
    consent = Consent.objects.get(onward_referral=onward)
    assert (consent.organisation, consent.given_by, consent.given_by_name, consent.given_on,
            consent.purpose, consent.expires_on, consent.includes_risk, consent.recorded_by,
            consent.withdrawn_on, consent.tenant_id) == (
        ctx.vcse, "representative", "Sam Carer", TODAY - DAY, "Money advice",
        TODAY + 90 * DAY, False, ctx.connector, None, ctx.tenant.pk)


def test_sending_starts_the_onward_referral_and_both_timelines_and_audits_it(
    ctx, service, referral
):
    onward = send(ctx, referral, service, reason="  Rent arrears  ", needs=["housing"] * 2)
    stored = _reload(onward)
    assert (stored.status, stored.version, stored.sent_on, stored.sent_by, stored.organisation,
            stored.person, stored.reason, stored.needs) == (
        "sent", 1, TODAY, ctx.connector, ctx.vcse, referral.person, "Rent arrears",
        ["housing"])
    event = stored.events.get()
    assert (event.kind, event.from_status, event.to_status, event.effective_on, event.actor,
            event.details) == ("sent", "", "sent", TODAY, ctx.connector,
                               {"service": service.name})
    on_referral = ReferralEvent.objects.get(referral=referral, kind="onward_referral_sent")
    assert (on_referral.from_status, on_referral.to_status) == ("awaiting_triage",
                                                                "awaiting_triage")
    assert on_referral.details == {"onward_referral": str(onward.pk), "service": service.name,
                                   "organisation": "Northtown Mind"}
    audit = AuditEvent.objects.get(target_id=str(onward.pk))
    assert (audit.action, audit.target_type, audit.note) == (
        "create", "vcse.onwardreferral", "shared with Northtown Mind")


def test_an_onward_referral_may_be_recorded_as_sent_on_an_earlier_day(ctx):
    onward = sent_days_ago(ctx, 10)
    assert _reload(onward).sent_on == TODAY - 10 * DAY
    assert onward.events.get().effective_on == TODAY - 10 * DAY


#: case -> (overrides of onward_input, field refused, message)
ONWARD_REFUSALS = {
    "consent-given-tomorrow": ({"consent_given_on": TODAY + DAY}, "consent_given_on",
                               "The date consent was given cannot be in the future."),
    "consent-given-before-the-referral-was-received": (
        {"consent_given_on": TODAY - 4 * DAY}, "consent_given_on",
        "cannot be before the referral was received"),
    "no-consent-date": ({"consent_given_on": None}, "consent_given_on",
                        "Enter the date consent was given."),
    "consent-ended-yesterday": ({"consent_expires_on": TODAY - DAY}, "consent_expires_on",
                                "Consent that has already ended cannot be used."),
    "consent-for-longer-than-two-years": (
        {"consent_expires_on": TODAY + (services.MAX_CONSENT_DAYS + 1) * DAY},
        "consent_expires_on", "Consent can last at most 2 years"),
    "no-expiry": ({"consent_expires_on": None}, "consent_expires_on",
                  "Enter the date consent lasts until."),
    "a-representative-without-a-name": (
        {"consent_given_by": "representative", "consent_given_by_name": "  "},
        "consent_given_by_name", "Enter the name of who consented for them."),
    "an-unknown-consent-giver": ({"consent_given_by": "neighbour"}, "consent_given_by",
                                 "'neighbour' is not a known code."),
    "no-purpose": ({"consent_purpose": " "}, "consent_purpose",
                   "Say what they agreed their details may be used for."),
    "risk-text-without-consent-to-share-it": (
        {"share_risk": False, "risk_information": "Self-harm in the past"},
        "risk_information", "only be shared if the person agreed"),
    "consent-to-share-risk-without-the-text": (
        {"share_risk": True, "risk_information": "  "}, "risk_information",
        "Enter the risk information to share"),
    "no-needs": ({"needs": []}, "needs", "Choose at least one need."),
    "an-unknown-need": ({"needs": ["debt_advice", "astrology"]}, "needs",
                        "'astrology' is not a known code."),
    "no-reason": ({"reason": "   "}, "reason", "Say why you are referring them"),
    "sent-tomorrow": ({"sent_on": TODAY + DAY}, "sent_on",
                      "The date it was sent cannot be in the future."),
    "sent-before-the-referral-was-received": ({"sent_on": TODAY - 4 * DAY}, "sent_on",
                                              "cannot be before the referral was received"),
    "sent-before-consent-was-given": (
        {"sent_on": TODAY - 2 * DAY, "consent_given_on": TODAY - DAY}, "sent_on",
        "cannot have been sent before consent was given"),
    "no-service": ({"service": None}, "service", "Choose the service to refer to."),
}


@pytest.mark.parametrize("case", list(ONWARD_REFUSALS))
def test_sending_refuses_bad_input_with_a_clear_message_and_shares_nothing(
    ctx, service, referral, case
):
    overrides, field, message = ONWARD_REFUSALS[case]
    overrides = dict(overrides)
    to = overrides.pop("service", service)
    assert_refused(lambda: send(ctx, referral, to, **overrides), field, message)


def test_consent_may_last_exactly_the_longest_time_allowed(ctx, service, referral):
    onward = send(ctx, referral, service,
                  consent_expires_on=TODAY + services.MAX_CONSENT_DAYS * DAY)
    assert onward.consent.expires_on == TODAY + services.MAX_CONSENT_DAYS * DAY


def test_a_service_closed_to_referrals_cannot_be_sent_to(ctx, referral):
    closed = make_service(ctx, name="Winter warmth", categories=["fuel_poverty"],
                          is_open=False)
    assert_refused(lambda: send(ctx, referral, closed), "service",
                   "Winter warmth is not taking referrals at the moment.")


def test_a_service_of_another_place_cannot_be_sent_to(ctx, referral, tenant_b):
    with tenant_context(tenant_b.tenant.pk):
        elsewhere = Service.objects.get(organisation=tenant_b.vcse)
    assert_refused(lambda: send(ctx, referral, elsewhere), "service",
                   "There is no such service in this place.")


def test_a_person_cannot_have_two_open_onward_referrals_to_the_same_service(
    ctx, service, referral
):
    send(ctx, referral, service)
    assert_refused(lambda: send(ctx, referral, service), "service",
                   "This person already has an open onward referral to Money and benefits")


def test_the_same_person_may_be_referred_again_once_the_last_one_was_declined(
    ctx, service, referral
):
    first = send(ctx, referral, service)
    services.onward_referral_decline(onward=first, actor=ctx.vcse_worker,
                                     version=first.version, reason="no_capacity")
    again = send(ctx, referral, service)
    assert again.pk != first.pk and again.status == "sent"


@pytest.mark.parametrize("ending", ["discharged", "rejected", "redirected"])
def test_a_closed_referral_cannot_be_referred_on(ctx, service, referral, ending):
    actor, version = ctx.clinician, referral.version
    if ending == "discharged":
        referral = referral_services.referral_accept(referral=referral, actor=actor,
                                                     version=version)
        referral = caseload_services.referral_discharge(
            referral=referral, actor=actor, version=referral.version, reason="goals_met")
    elif ending == "rejected":
        referral = referral_services.referral_reject(referral=referral, actor=actor,
                                                     version=version, reason="not_eligible")
    else:
        referral = referral_services.referral_redirect(
            referral=referral, actor=actor, version=version, destination="crisis",
            note="Handed over by phone")
    assert referral.status == ending
    before = _counts()
    with pytest.raises(IllegalTransition) as caught:
        send(ctx, referral, service)
    assert f"is {ending}, so it cannot be referred on" in caught.value.messages[0]
    assert _counts() == before


def test_every_problem_with_an_onward_referral_is_reported_at_once(ctx, service, referral):
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        send(ctx, referral, service, reason="", needs=[], consent_purpose="",
             consent_given_by="representative", consent_expires_on=TODAY - DAY,
             share_risk=True)
    assert set(caught.value.message_dict) == {
        "reason", "needs", "consent_purpose", "consent_given_by_name", "consent_expires_on",
        "risk_information"}
    assert _counts() == before


# --------------------------------------------------------------------------- state machine


def _onward_in(cast, status: str) -> OnwardReferral:
    """An onward referral of a new person, sent today, then put in ``status``."""
    onward = make_onward_referral(cast, referral=make_referral(cast))
    OnwardReferral.objects.filter(pk=onward.pk).update(status=status)
    return _reload(onward)


def _perform(cast, onward: OnwardReferral, event: OnwardEventKind):
    worker, version = cast.vcse_worker, onward.version
    calls = {
        OnwardEventKind.ACCEPTED: lambda: services.onward_referral_accept(
            onward=onward, actor=worker, version=version),
        OnwardEventKind.DECLINED: lambda: services.onward_referral_decline(
            onward=onward, actor=worker, version=version, reason="no_capacity"),
        OnwardEventKind.CONTACT_LOGGED: lambda: services.vcse_contact_log(
            onward=onward, actor=worker, data=contact_input()),
        OnwardEventKind.CLOSED: lambda: services.onward_referral_close(
            onward=onward, actor=worker, version=version, outcome="completed"),
        OnwardEventKind.WITHDRAWN: lambda: services.consent_withdraw(
            onward=onward, actor=cast.clinician, version=version),
        OnwardEventKind.FLAGGED_UNANSWERED: lambda: services.flag_unanswered(
            onward_id=onward.pk, flagged_on=TODAY),
        OnwardEventKind.CONSENT_ENDED: lambda: _lapse(onward),
    }
    return calls[event]()


def _lapse(onward: OnwardReferral) -> bool:
    """The daily job's step for consent whose end date has passed."""
    Consent.objects.filter(onward_referral=onward).update(
        given_on=onward.sent_on - dt.timedelta(days=30), expires_on=TODAY - dt.timedelta(days=1))
    return services.consent_lapse(onward_id=onward.pk, on=TODAY)


#: Changes people make to an answer they read: the version moves with them.
VERSIONED = {OnwardEventKind.ACCEPTED, OnwardEventKind.DECLINED, OnwardEventKind.CLOSED,
             OnwardEventKind.WITHDRAWN}

STATE_CASES = [
    (status, event, status in sources)
    for event, (sources, _target) in TRANSITIONS.items()
    for status in OnwardStatus.values
]


@pytest.mark.parametrize("status,event,allowed", STATE_CASES,
                         ids=[f"{e}-from-{s}" for s, e, _ in STATE_CASES])
def test_every_change_is_allowed_or_refused_as_the_state_machine_says(
    ctx, status, event, allowed
):
    onward = _onward_in(ctx, status)
    events_before = onward.events.count()
    contacts_before = onward.contacts.count()
    if allowed:
        _perform(ctx, onward, event)
        changed = _reload(onward)
        target = TRANSITIONS[event][1] or status
        assert changed.status == target
        moved = event in VERSIONED or target != status
        assert changed.version == onward.version + (1 if moved else 0)
        assert onward.events.count() == events_before + 1
        last = onward.events.order_by("-at", "-id").first()
        assert (last.kind, last.from_status, last.to_status) == (event, status, target)
        return
    if event == OnwardEventKind.FLAGGED_UNANSWERED:
        # The daily job claims rows with a conditional update: an answered one is skipped.
        assert _perform(ctx, onward, event) is False
        assert _reload(onward).flagged_unanswered_at is None
    elif event == OnwardEventKind.CONSENT_ENDED:
        # Likewise the consent end date job: one no longer open is left as it is.
        assert _perform(ctx, onward, event) is False
    elif event == OnwardEventKind.WITHDRAWN:
        # Consent can always be withdrawn (the partner's access ends); only an open onward
        # referral changes status.
        _perform(ctx, onward, event)
        assert _reload(onward).consent.withdrawn_on == TODAY
        last = onward.events.order_by("-at", "-id").first()
        assert (last.kind, last.from_status, last.to_status) == (event, status, status)
        assert _reload(onward).status == status
        return
    else:
        with pytest.raises(IllegalOnwardTransition) as caught:
            _perform(ctx, onward, event)
        assert "so it cannot be" in caught.value.messages[0]
    stored = _reload(onward)
    assert (stored.status, stored.version) == (status, onward.version)
    assert onward.events.count() == events_before
    assert onward.contacts.count() == contacts_before


def test_the_state_machine_covers_every_event_but_sending_and_importing():
    # An imported onward referral arrives in its status; it is not a change of one.
    assert set(TRANSITIONS) == set(OnwardEventKind) - {OnwardEventKind.SENT,
                                                       OnwardEventKind.IMPORTED}


# --------------------------------------------------------------------------- answering


def test_accepting_records_who_answered_when_and_an_audit_row(ctx):
    onward = sent_days_ago(ctx, 5)
    accepted(ctx, onward, on=TODAY - 2 * DAY)
    stored = _reload(onward)
    assert (stored.status, stored.responded_on, stored.responded_by, stored.version) == (
        "accepted", TODAY - 2 * DAY, ctx.vcse_worker, onward.version + 1)
    event = stored.events.get(kind="accepted")
    assert (event.effective_on, event.actor, event.from_status) == (TODAY - 2 * DAY,
                                                                     ctx.vcse_worker, "sent")
    audit = AuditEvent.objects.get(target_id=str(onward.pk), action="change")
    assert audit.fields == ["responded_on", "status"]


def _stale_call(cast, onward, kind):
    version = onward.version
    return {
        "accept": lambda: services.onward_referral_accept(onward=onward, actor=cast.vcse_lead,
                                                          version=version),
        "decline": lambda: services.onward_referral_decline(
            onward=onward, actor=cast.vcse_lead, version=version, reason="not_eligible"),
        "close": lambda: services.onward_referral_close(onward=onward, actor=cast.vcse_lead,
                                                        version=version, outcome="completed"),
        "withdraw": lambda: services.consent_withdraw(onward=onward, actor=cast.clinician,
                                                      version=version),
    }[kind]


@pytest.mark.parametrize("kind", ["accept", "decline", "close", "withdraw"])
def test_answering_an_onward_referral_someone_else_changed_is_a_conflict(ctx, kind):
    onward = _onward_in(ctx, "accepted" if kind == "close" else "sent")
    call = _stale_call(ctx, onward, kind)
    OnwardReferral.objects.filter(pk=onward.pk).update(version=F("version") + 1)
    before = _counts()
    with pytest.raises(Conflict) as caught:
        call()
    assert "changed this onward referral" in caught.value.message
    stored = _reload(onward)
    assert (stored.status, stored.version, stored.consent.withdrawn_on) == (
        onward.status, onward.version + 1, None)
    assert _counts() == before


def test_declining_records_the_reason_for_the_referrer(ctx):
    onward = _onward_in(ctx, "sent")
    services.onward_referral_decline(onward=onward, actor=ctx.vcse_lead, version=onward.version,
                                     reason="not_eligible", note=" Over 25s only ")
    stored = _reload(onward)
    assert (stored.status, stored.decline_reason, stored.decline_note, stored.responded_by,
            stored.responded_on) == ("declined", "not_eligible", "Over 25s only",
                                     ctx.vcse_lead, TODAY)
    event = stored.events.get(kind="declined")
    assert event.details == {"reason": "Not eligible for this service"}


def test_declining_for_another_reason_needs_a_note(ctx):
    onward = _onward_in(ctx, "sent")
    assert_refused(
        lambda: services.onward_referral_decline(onward=onward, actor=ctx.vcse_worker,
                                                 version=onward.version, reason="other",
                                                 note="  "),
        "note", "Say why, so the referrer can find the person something else.")
    services.onward_referral_decline(onward=onward, actor=ctx.vcse_worker,
                                     version=onward.version, reason="other",
                                     note="We only work with carers")
    assert _reload(onward).decline_note == "We only work with carers"


@pytest.mark.parametrize("reason,message", [("", "Choose an option."),
                                            ("busy", "'busy' is not a known code.")])
def test_declining_needs_a_known_reason(ctx, reason, message):
    onward = _onward_in(ctx, "sent")
    assert_refused(
        lambda: services.onward_referral_decline(onward=onward, actor=ctx.vcse_worker,
                                                 version=onward.version, reason=reason),
        "reason", message)


def test_declining_reports_the_reason_and_the_date_together(ctx):
    onward = _onward_in(ctx, "sent")
    with pytest.raises(ValidationError) as caught:
        services.onward_referral_decline(onward=onward, actor=ctx.vcse_worker,
                                         version=onward.version, reason="other",
                                         on=TODAY + DAY)
    assert set(caught.value.message_dict) == {"note", "on"}


@pytest.mark.parametrize("kind", ["accept", "decline"])
@pytest.mark.parametrize("days,message", [(-1, "cannot be in the future"),
                                          (6, "cannot be before it was sent")])
def test_an_answer_is_dated_between_sending_and_today(ctx, kind, days, message):
    onward = sent_days_ago(ctx, 5)
    on = TODAY - days * DAY
    calls = {
        "accept": lambda: accepted(ctx, onward, on=on),
        "decline": lambda: services.onward_referral_decline(
            onward=onward, actor=ctx.vcse_worker, version=onward.version, reason="no_contact",
            on=on),
    }
    assert_refused(calls[kind], "on", message)
    assert _reload(onward).status == "sent"


# --------------------------------------------------------------------------- contacts


def test_the_first_contact_moves_an_accepted_onward_referral_to_in_progress(ctx):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    contact = log_contact(ctx, onward, support_types=["debt_advice", "housing", "debt_advice"],
                          duration_minutes=45, note=" Rang back ")
    stored = _reload(onward)
    assert (stored.status, stored.version) == ("in_progress", onward.version + 1)
    saved = VcseContact.objects.get(pk=contact.pk)
    assert (saved.organisation, saved.staff, saved.recorded_by, saved.support_types,
            saved.duration_minutes, saved.note) == (
        ctx.vcse, ctx.vcse_worker.membership, ctx.vcse_worker, ["debt_advice", "housing"], 45,
        "Rang back")
    event = stored.events.get(kind="contact_logged")
    assert (event.from_status, event.to_status, event.details) == (
        "accepted", "in_progress",
        {"mode": "Telephone", "attendance": "Attended",
         "support": ["Debt advice", "Housing support"]})
    assert AuditEvent.objects.filter(target_id=str(contact.pk), action="create").exists()


def test_a_later_contact_leaves_an_onward_referral_in_progress_as_it_is(ctx):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    log_contact(ctx, onward)
    in_progress = _reload(onward)
    log_contact(ctx, in_progress, attendance="did_not_attend", support_types=[])
    stored = _reload(onward)
    assert (stored.status, stored.version) == ("in_progress", in_progress.version)
    assert stored.contacts.count() == 2
    assert list(stored.events.filter(kind="contact_logged")
                .values_list("from_status", "to_status").order_by("at")) == [
        ("accepted", "in_progress"), ("in_progress", "in_progress")]


def test_a_contact_that_happened_needs_the_support_given(ctx):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    assert_refused(lambda: log_contact(ctx, onward, support_types=[]), "support_types",
                   "Choose the support given.")


@pytest.mark.parametrize("attendance", ["did_not_attend", "cancelled"])
def test_support_is_refused_for_a_contact_that_did_not_happen(ctx, attendance):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    assert_refused(lambda: log_contact(ctx, onward, attendance=attendance), "support_types",
                   "Support is only recorded for a contact that happened.")
    log_contact(ctx, onward, attendance=attendance, support_types=[])
    assert _reload(onward).contacts.get().support_types == []


@pytest.mark.parametrize("minutes,ok", [(0, False), (1, True), (720, True), (721, False)])
def test_a_contact_lasts_from_a_minute_to_twelve_hours(ctx, minutes, ok):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    if ok:
        assert log_contact(ctx, onward, duration_minutes=minutes).duration_minutes == minutes
    else:
        assert_refused(lambda: log_contact(ctx, onward, duration_minutes=minutes),
                       "duration_minutes", "Enter a duration from 1 to 720 minutes.")


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"on": TODAY - 6 * DAY}, "on", "cannot be before the referral was sent"),
        ({"on": TODAY + DAY}, "on", "The date of the contact cannot be in the future."),
        ({"on": None}, "on", "Enter the date of the contact."),
        ({"mode": "pigeon"}, "mode", "'pigeon' is not a known code."),
        ({"attendance": ""}, "attendance", "Choose an option."),
        ({"support_types": ["astrology"]}, "support_types", "'astrology' is not a known code."),
        ({"note": "x" * 501}, "note", "Keep the note to 500 characters."),
    ],
    ids=["before-sent", "tomorrow", "no-date", "unknown-mode", "no-attendance",
         "unknown-support", "long-note"],
)
def test_a_contact_is_refused_with_a_clear_message(ctx, overrides, field, message):
    onward = accepted(ctx, sent_days_ago(ctx, 5), on=TODAY - 5 * DAY)
    assert_refused(lambda: log_contact(ctx, onward, **overrides), field, message)
    assert _reload(onward).status == "accepted"


# --------------------------------------------------------------------------- closing


def _in_progress_with_contact(cast, contact_days_ago: int) -> OnwardReferral:
    onward = accepted(cast, sent_days_ago(cast, 20), on=TODAY - 19 * DAY)
    log_contact(cast, onward, on=TODAY - contact_days_ago * DAY)
    return _reload(onward)


def test_closing_records_the_outcome_and_a_note_for_the_referrer(ctx):
    onward = _in_progress_with_contact(ctx, 5)
    services.onward_referral_close(onward=onward, actor=ctx.vcse_worker, version=onward.version,
                                   outcome="ongoing", note=" Joined the Tuesday group ",
                                   on=TODAY - 5 * DAY)
    stored = _reload(onward)
    assert (stored.status, stored.closed_on, stored.outcome, stored.outcome_note,
            stored.version) == ("closed", TODAY - 5 * DAY, "ongoing",
                                "Joined the Tuesday group", onward.version + 1)
    event = stored.events.get(kind="closed")
    assert (event.from_status, event.details) == (
        "in_progress", {"outcome": "Carrying on independently (a group, volunteering)"})


def test_closing_is_not_dated_before_the_last_contact(ctx):
    onward = _in_progress_with_contact(ctx, 5)
    assert_refused(
        lambda: services.onward_referral_close(onward=onward, actor=ctx.vcse_worker,
                                               version=onward.version, outcome="completed",
                                               on=TODAY - 6 * DAY),
        "closed_on", "cannot be before the last contact or answer")


def test_closing_is_not_dated_before_the_answer(ctx):
    onward = accepted(ctx, sent_days_ago(ctx, 20), on=TODAY - 10 * DAY)
    assert_refused(
        lambda: services.onward_referral_close(onward=onward, actor=ctx.vcse_worker,
                                               version=onward.version, outcome="completed",
                                               on=TODAY - 11 * DAY),
        "closed_on", f"the last contact or answer ({TODAY - 10 * DAY:%d/%m/%Y})")


@pytest.mark.parametrize(
    "outcome,note,on,field,message",
    [
        ("completed", "", TODAY + DAY, "closed_on", "cannot be in the future"),
        ("other", " ", None, "note", "Say what happened, for the referrer."),
        ("", "", None, "outcome", "Choose an option."),
        ("cured", "", None, "outcome", "'cured' is not a known code."),
        ("completed", "x" * 1001, None, "note", "Keep the note to 1,000 characters."),
    ],
    ids=["tomorrow", "other-without-note", "no-outcome", "unknown-outcome", "long-note"],
)
def test_closing_is_refused_with_a_clear_message(ctx, outcome, note, on, field, message):
    onward = _in_progress_with_contact(ctx, 5)
    assert_refused(
        lambda: services.onward_referral_close(onward=onward, actor=ctx.vcse_worker,
                                               version=onward.version, outcome=outcome,
                                               note=note, on=on),
        field, message)
    assert _reload(onward).status == "in_progress"


# --------------------------------------------------------------------------- consent


def test_withdrawing_consent_withdraws_an_open_onward_referral(ctx):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    services.consent_withdraw(onward=onward, actor=ctx.clinician, version=onward.version,
                              note=" Changed their mind ")
    stored = _reload(onward)
    assert (stored.status, stored.version) == ("withdrawn", onward.version + 1)
    consent = stored.consent
    assert (consent.withdrawn_on, consent.withdrawn_recorded_by, consent.withdrawal_note) == (
        TODAY, ctx.clinician, "Changed their mind")
    event = stored.events.get(kind="withdrawn")
    assert (event.from_status, event.to_status, event.actor) == ("accepted", "withdrawn",
                                                                  ctx.clinician)
    audit = AuditEvent.objects.get(target_id=str(consent.pk))
    assert (audit.action, audit.target_type, audit.fields) == (
        "change", "vcse.consent", ["withdrawal_note", "withdrawn_on"])


def test_withdrawing_consent_from_a_closed_onward_referral_keeps_it_closed(ctx):
    onward = _in_progress_with_contact(ctx, 5)
    onward = services.onward_referral_close(onward=onward, actor=ctx.vcse_worker,
                                            version=onward.version, outcome="completed")
    services.consent_withdraw(onward=onward, actor=ctx.clinician, version=onward.version)
    stored = _reload(onward)
    assert (stored.status, stored.outcome, stored.consent.withdrawn_on) == ("closed",
                                                                            "completed", TODAY)
    assert stored.version == onward.version + 1
    assert stored.events.get(kind="withdrawn").to_status == "closed"


def test_consent_cannot_be_withdrawn_twice(ctx):
    onward = _onward_in(ctx, "sent")
    onward = services.consent_withdraw(onward=onward, actor=ctx.clinician,
                                       version=onward.version)
    assert_refused(
        lambda: services.consent_withdraw(onward=onward, actor=ctx.team_lead,
                                          version=onward.version),
        "on", "Consent has already been withdrawn.")
    assert _reload(onward).consent.withdrawn_recorded_by == ctx.clinician


@pytest.mark.parametrize("days,message", [(-1, "cannot be in the future"),
                                          (6, "cannot be before it was given")])
def test_consent_is_withdrawn_between_its_giving_and_today(ctx, days, message):
    onward = sent_days_ago(ctx, 5)
    assert_refused(
        lambda: services.consent_withdraw(onward=onward, actor=ctx.clinician,
                                          version=onward.version, on=TODAY - days * DAY),
        "on", message)


def test_after_consent_is_withdrawn_the_partner_loses_it_and_the_referrer_keeps_it(ctx):
    onward = accepted(ctx, _onward_in(ctx, "sent"))
    assert selectors.inbox_for_user(ctx.vcse_worker).filter(pk=onward.pk).exists()
    services.consent_withdraw(onward=onward, actor=ctx.clinician, version=onward.version)
    assert not selectors.inbox_for_user(ctx.vcse_worker).filter(pk=onward.pk).exists()
    assert not selectors.inbox_for_user(ctx.vcse_lead).filter(pk=onward.pk).exists()
    mine = selectors.onward_referrals_for_user(ctx.clinician).get(pk=onward.pk)
    assert mine.status == "withdrawn"


def test_after_consent_is_withdrawn_a_closed_onward_referral_leaves_the_inbox_too(ctx):
    onward = _in_progress_with_contact(ctx, 5)
    onward = services.onward_referral_close(onward=onward, actor=ctx.vcse_worker,
                                            version=onward.version, outcome="completed")
    assert selectors.inbox_tab(ctx.vcse_worker, "closed").filter(pk=onward.pk).exists()
    services.consent_withdraw(onward=onward, actor=ctx.clinician, version=onward.version)
    assert not selectors.inbox_for_user(ctx.vcse_worker).filter(pk=onward.pk).exists()
    assert selectors.onward_referrals_for_user(ctx.clinician).filter(pk=onward.pk).exists()


# --------------------------------------------------------------------------- two sessions


def _wait_for_a_session_waiting_on_a_lock(timeout: float = 10.0) -> None:
    """Poll PostgreSQL until another session waits on a row lock."""
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
                raise AssertionError("the other session never waited for the onward referral")
            time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_two_workers_accepting_the_same_onward_referral_at_once_only_one_wins(tenant_a):
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        onward = make_onward_referral(cast, referral=make_referral(cast))
    read_version = onward.version
    outcome: dict = {}

    def accept_too() -> None:
        try:
            with tenant_context(cast.tenant.pk):
                outcome["onward"] = services.onward_referral_accept(
                    onward=onward, actor=cast.vcse_lead, version=read_version)
        except Exception as exc:  # reported by the assertions below
            outcome["error"] = exc
        finally:
            connection.close()

    other = threading.Thread(target=accept_too)
    try:
        with tenant_context(cast.tenant.pk), transaction.atomic():
            services.onward_referral_accept(onward=onward, actor=cast.vcse_worker,
                                            version=read_version)
            other.start()
            _wait_for_a_session_waiting_on_a_lock()
    finally:
        if other.ident is not None:
            other.join(timeout=30)
    assert isinstance(outcome.get("error"), Conflict), outcome
    with tenant_context(cast.tenant.pk):
        stored = _reload(onward)
        assert (stored.status, stored.responded_by, stored.version) == (
            "accepted", cast.vcse_worker, read_version + 1)
        assert stored.events.filter(kind="accepted").count() == 1


# --------------------------------------------------------------------------- unanswered


def test_an_unanswered_onward_referral_is_flagged_once(ctx):
    onward = sent_days_ago(ctx, 20)
    assert services.flag_unanswered(onward_id=onward.pk, flagged_on=TODAY) is True
    stored = _reload(onward)
    assert stored.flagged_unanswered_at is not None
    event = stored.events.get(kind="flagged_unanswered")
    assert (event.actor, event.actor_label, event.from_status, event.to_status,
            event.effective_on) == (None, "system", "sent", "sent", TODAY)
    audit = AuditEvent.objects.get(target_id=str(onward.pk), action="change")
    assert (audit.actor, audit.actor_label, audit.fields) == (
        None, "Unanswered referrals job", ["flagged_unanswered_at"])
    before = _counts()
    assert services.flag_unanswered(onward_id=onward.pk, flagged_on=TODAY) is False
    assert _counts() == before
    assert _reload(onward).flagged_unanswered_at == stored.flagged_unanswered_at


def test_flagging_does_not_make_a_workers_open_page_stale(ctx):
    onward = sent_days_ago(ctx, 20)
    services.flag_unanswered(onward_id=onward.pk, flagged_on=TODAY)
    accepted(ctx, onward)  # with the version read before the flag
    assert _reload(onward).status == "accepted"


def test_lapsed_consent_withdraws_an_open_onward_referral_once_and_frees_the_service(ctx):
    onward = make_onward_referral(ctx, referral=make_referral(ctx))
    service = onward.service
    Consent.objects.filter(onward_referral=onward).update(
        given_on=TODAY - dt.timedelta(days=60), expires_on=TODAY - dt.timedelta(days=1))
    OnwardReferral.objects.filter(pk=onward.pk).update(sent_on=TODAY - dt.timedelta(days=60))
    assert list(selectors.consent_lapsed(TODAY)) == [onward]
    assert not selectors.unanswered_due(TODAY).filter(pk=onward.pk).exists()
    assert services.consent_lapse(onward_id=onward.pk, on=TODAY) is True
    assert services.consent_lapse(onward_id=onward.pk, on=TODAY) is False
    assert _reload(onward).status == "withdrawn"
    assert onward.events.filter(kind="consent_ended").count() == 1
    # The referrer may ask again: the lapsed one no longer blocks the same service.
    again = make_onward_referral(ctx, referral=onward.referral, service=service)
    assert again.status == "sent"
