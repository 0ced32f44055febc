"""Correcting care records: each kind amended or marked entered in error with a reason, the
earlier version kept, the timeline told, others refused, a stale edit a conflict; and the pages
that do it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from caseload import corrections, permissions, services
from caseload.models import Contact
from config.exceptions import Conflict
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral, ReferralEvent, Revision
from tests.factories import make_referral

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


@pytest.fixture
def ctx(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        yield tenant_a


def allocated(cast) -> Referral:
    received = TODAY - 30 * DAY
    referral = make_referral(cast, received_on=received)
    with tenant_context(cast.tenant.pk):
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version, on=received)
        return referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=cast.clinician.membership, joint_workers=[cast.peer_support.membership],
            on=received)


@pytest.fixture
def referral(ctx):
    return allocated(ctx)


def _contact(cast, referral, actor=None):
    return services.contact_record(
        actor=actor or cast.clinician, referral=referral,
        data=services.ContactInput(on=TODAY - 2 * DAY, mode="telephone", attendance="attended",
                                   purpose="review", note="Talked about sleep"))


def _assessment(cast, referral):
    return services.assessment_record(
        referral=referral, actor=cast.clinician,
        data=services.AssessmentInput(kind="initial", assessed_on=TODAY - 3 * DAY,
                                      summary="Low mood", risk_summary="No current risk"))


def _outcome(cast, referral):
    return services.outcome_record(referral=referral, actor=cast.clinician, tool="phq9",
                                   completed_on=TODAY - 3 * DAY,
                                   items=[1, 2, 1, 2, 1, 0, 1, 0, 0])


def _intervention(cast, referral):
    return services.intervention_start(
        referral=referral, actor=cast.clinician,
        data=services.InterventionInput(kind="psychosocial", started_on=TODAY - 3 * DAY,
                                        description="Walk and tlak"))


def _plan(cast, referral):
    return services.care_plan_save(
        referral=referral, actor=cast.clinician, version=None,
        data=services.CarePlanInput(goals=["Sleep through"], co_produced_with=["person"],
                                    review_trigger="If sleep worsens",
                                    safety_plan="Call the crisis line"))


def _open_concern(cast, referral):
    return services.risk_concern_raise(referral=referral, actor=cast.clinician,
                                       concern="Mentioned not eating")


def _concern(cast, referral):
    """A concern a lead has acknowledged: its author may correct it like any other record."""
    concern = _open_concern(cast, referral)
    return services.risk_concern_acknowledge(concern=concern, actor=cast.team_lead,
                                             version=concern.version,
                                             response="Called them the same day")


MAKERS = {"contact": _contact, "assessment": _assessment, "outcome-measure": _outcome,
          "intervention": _intervention, "care-plan-version": _plan,
          "risk-concern": _concern}
#: One amendment per kind that may be amended: (field, new value, the earlier value as kept).
AMENDMENTS = {
    "contact": ("note", "Talked about sleep and work", "Talked about sleep"),
    "assessment": ("summary", "Low mood since losing work", "Low mood"),
    "outcome-measure": ("completed_on", TODAY - 4 * DAY, (TODAY - 3 * DAY).isoformat()),
    "intervention": ("description", "Walk and talk", "Walk and tlak"),
    "risk-concern": ("concern", "Mentioned not eating for two days", "Mentioned not eating"),
}


def _version(record):
    return getattr(record, "version", None)


def _events(referral, kind):
    return list(ReferralEvent.objects.filter(referral=referral, kind=kind))


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("kind", list(MAKERS))
def test_each_kind_of_care_record_can_be_marked_entered_in_error_and_its_earlier_version_kept(
    ctx, referral, kind
):
    record = MAKERS[kind](ctx, referral)
    corrections.care_record_enter_in_error(record=record, actor=ctx.clinician,
                                           version=_version(record), reason="Wrong person")
    record.refresh_from_db()
    assert record.entered_in_error_at is not None
    revision = Revision.objects.get(record_id=record.pk)
    assert (revision.kind, revision.reason, revision.actor) == (
        "entered_in_error", "Wrong person", ctx.clinician)
    assert set(revision.prior) == set(corrections.KINDS[kind].shown)
    [event] = _events(referral, "record_entered_in_error")
    assert event.reason == "Wrong person"
    assert event.details["revision"] == str(revision.pk)
    assert AuditEvent.objects.filter(target_id=str(record.pk), action="change",
                                     note="entered in error").exists()


@pytest.mark.parametrize("kind", list(AMENDMENTS))
def test_each_amendable_kind_keeps_the_values_an_amendment_replaced(ctx, referral, kind):
    record = MAKERS[kind](ctx, referral)
    field, new, old = AMENDMENTS[kind]
    amended = corrections.care_record_amend(record=record, actor=ctx.team_lead,
                                            version=_version(record), reason="Typing mistake",
                                            changes={field: new})
    assert getattr(type(record).objects.get(pk=record.pk), field) == new
    if _version(record) is not None:
        assert amended.version == record.version + 1
    revision = Revision.objects.get(record_id=record.pk)
    assert (revision.kind, revision.fields, revision.prior[field]) == ("amended", [field], old)
    [event] = _events(referral, "record_amended")
    assert (event.reason, event.actor) == ("Typing mistake", ctx.team_lead)


def test_an_amendment_is_checked_like_the_record_was(ctx, referral):
    contact = _contact(ctx, referral)
    with pytest.raises(ValidationError) as caught:
        corrections.care_record_amend(record=contact, actor=ctx.clinician, version=1,
                                      reason="Wrong date",
                                      changes={"on": referral.received_on - DAY})
    assert "on" in caught.value.message_dict
    assert not Revision.objects.filter(record_id=contact.pk).exists()


def test_a_correction_without_a_reason_is_refused_and_nothing_is_written(ctx, referral):
    contact = _contact(ctx, referral)
    events = ReferralEvent.objects.count()
    for correct in (
        lambda: corrections.care_record_enter_in_error(record=contact, actor=ctx.clinician,
                                                       version=1, reason="  "),
        lambda: corrections.care_record_amend(record=contact, actor=ctx.clinician, version=1,
                                              reason="", changes={"note": "Changed"}),
    ):
        with pytest.raises(ValidationError) as caught:
            correct()
        assert "reason" in caught.value.message_dict
    contact.refresh_from_db()
    assert (contact.entered_in_error_at, contact.note) == (None, "Talked about sleep")
    assert not Revision.objects.exists() or not Revision.objects.filter(
        record_id=contact.pk).exists()
    assert ReferralEvent.objects.count() == events


@pytest.mark.parametrize("kind", ["contact", "assessment", "outcome-measure", "intervention",
                                  "risk-concern"])
def test_a_stale_version_is_a_conflict_and_changes_nothing(ctx, referral, kind):
    record = MAKERS[kind](ctx, referral)
    field, new, _old = AMENDMENTS[kind]
    corrections.care_record_amend(record=record, actor=ctx.clinician, version=record.version,
                                  reason="First fix", changes={field: new})
    with pytest.raises(Conflict):
        corrections.care_record_enter_in_error(record=record, actor=ctx.team_lead,
                                               version=record.version, reason="Read earlier")
    assert type(record).objects.get(pk=record.pk).entered_in_error_at is None
    assert Revision.objects.filter(record_id=record.pk).count() == 1


def test_a_care_plan_version_is_replaced_by_a_new_version_not_amended(ctx, referral):
    saved = _plan(ctx, referral)
    with pytest.raises(ValidationError):
        corrections.care_record_amend(record=saved, actor=ctx.clinician, version=None,
                                      reason="Typo", changes={"safety_plan": "Changed"})


def test_a_record_entered_in_error_cannot_be_corrected_again(ctx, referral):
    contact = _contact(ctx, referral)
    corrections.care_record_enter_in_error(record=contact, actor=ctx.clinician, version=1,
                                           reason="Duplicate")
    contact.refresh_from_db()
    with pytest.raises(ValidationError):
        corrections.care_record_amend(record=contact, actor=ctx.clinician,
                                      version=contact.version, reason="Fix",
                                      changes={"note": "Changed"})


# --------------------------------------------------------------------------- who may correct


@pytest.mark.parametrize("kind", list(MAKERS))
def test_only_the_author_and_the_teams_leads_may_correct(ctx, referral, kind):
    record = MAKERS[kind](ctx, referral)
    may = {label: permissions.can_correct_care_record(ctx.users[label], record)
           for label in ("clinician", "team_lead", "peer_support", "connector",
                         "other_clinician", "vcse_worker", "gp", "programme_manager")}
    assert may == {"clinician": True, "team_lead": True, "peer_support": False,
                   "connector": False, "other_clinician": False, "vcse_worker": False,
                   "gp": False, "programme_manager": False}


def test_an_open_risk_concern_is_corrected_by_the_teams_leads_only(ctx, referral):
    concern = _open_concern(ctx, referral)
    assert not permissions.can_correct_care_record(ctx.clinician, concern)
    assert not permissions.care_record_corrector(ctx.clinician, referral)(concern)
    assert permissions.can_correct_care_record(ctx.team_lead, concern)


def test_a_peer_support_worker_may_correct_their_own_contact(ctx, referral):
    contact = _contact(ctx, referral, actor=ctx.peer_support)
    assert permissions.can_correct_care_record(ctx.peer_support, contact)
    assert not permissions.can_correct_care_record(ctx.connector, contact)


def test_another_tenants_lead_may_not_correct(ctx, referral, tenant_b):
    contact = _contact(ctx, referral)
    assert not permissions.can_correct_care_record(tenant_b.team_lead, contact)


# --------------------------------------------------------------------------- pages


def _correct_url(record) -> str:
    return reverse("caseload:correct", args=[corrections.kind_of(record).slug, record.pk])


def test_a_clinician_marks_their_contact_entered_in_error_and_the_timeline_strikes_it(
    client, tenant_a
):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        contact = _contact(tenant_a, referral)
    client.force_login(tenant_a.clinician)
    record = client.get(reverse("caseload:record", args=[referral.pk])).content.decode()
    assert _correct_url(contact) in record
    response = client.post(_correct_url(contact), {"action": "entered_in_error", "version": "1",
                                                   "error_reason": "Recorded for the wrong "
                                                                   "person"})
    assert response.status_code == 302
    timeline = client.get(reverse("referrals:timeline", args=[referral.pk])).content.decode()
    assert "<del><span class=\"nhsuk-u-visually-hidden\">Entered in error: </span>Contact " \
           "recorded</del>" in timeline
    assert "Recorded for the wrong person" in timeline
    with tenant_context(tenant_a.tenant.pk):
        revision = Revision.objects.get(record_id=contact.pk)
    assert reverse("caseload:revision", args=[revision.pk]) in timeline
    earlier = client.get(reverse("caseload:revision", args=[revision.pk]))
    assert earlier.status_code == 200
    assert "Talked about sleep" in earlier.content.decode()
    record = client.get(reverse("caseload:record", args=[referral.pk])).content.decode()
    assert "Entered in error: </span>Talked about sleep</del>" in record


def test_the_amend_form_saves_an_amendment_with_its_reason(client, tenant_a):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        contact = _contact(tenant_a, referral)
    client.force_login(tenant_a.team_lead)
    form = client.get(_correct_url(contact))
    assert form.status_code == 200
    assert "Talked about sleep" in form.content.decode()
    on = contact.on
    response = client.post(_correct_url(contact), {
        "action": "amend", "version": "1", "on-day": on.day, "on-month": on.month,
        "on-year": on.year, "at": "", "duration_minutes": "30", "mode": "video",
        "purpose": "review", "note": "Talked about sleep", "correction_reason": "It was video"})
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        contact.refresh_from_db()
        assert (contact.mode, contact.duration_minutes, contact.version) == ("video", 30, 2)
        assert Revision.objects.get(record_id=contact.pk).prior["mode"] == "telephone"


def test_someone_else_in_the_team_is_refused_the_correction_page(client, tenant_a):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        contact = _contact(tenant_a, referral)
    client.force_login(tenant_a.peer_support)
    assert client.get(_correct_url(contact)).status_code == 403
    response = client.post(_correct_url(contact), {"action": "entered_in_error", "version": "1",
                                                   "error_reason": "Not mine"})
    assert response.status_code == 403
    with tenant_context(tenant_a.tenant.pk):
        assert Contact.objects.get(pk=contact.pk).entered_in_error_at is None


def test_a_stale_correction_form_answers_409(client, tenant_a):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        contact = _contact(tenant_a, referral)
        corrections.care_record_amend(record=contact, actor=tenant_a.team_lead, version=1,
                                      reason="Fix", changes={"note": "Changed by the lead"})
    client.force_login(tenant_a.clinician)
    response = client.post(_correct_url(contact), {"action": "entered_in_error", "version": "1",
                                                   "error_reason": "Duplicate"})
    assert response.status_code == 409
    assert "Someone else changed this contact" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert Contact.objects.get(pk=contact.pk).entered_in_error_at is None


def test_a_contact_entered_in_error_leaves_my_caseloads_last_contact(client, tenant_a):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        contact = _contact(tenant_a, referral)
    client.force_login(tenant_a.clinician)
    shown = contact.on.strftime("%-d %B %Y")
    assert shown in client.get(reverse("caseload:mine")).content.decode()
    with tenant_context(tenant_a.tenant.pk):
        corrections.care_record_enter_in_error(record=contact, actor=tenant_a.clinician,
                                               version=1, reason="Wrong person")
    page = client.get(reverse("caseload:mine")).content.decode()
    assert shown not in page


def test_an_outcome_measure_entered_in_error_is_neither_charted_nor_flagged(client, tenant_a):
    referral = allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        measure = services.outcome_record(referral=referral, actor=tenant_a.clinician,
                                          tool="phq9", completed_on=TODAY - 3 * DAY,
                                          items=[1, 2, 1, 2, 1, 0, 1, 0, 3])
    client.force_login(tenant_a.clinician)
    url = reverse("caseload:outcomes", args=[referral.pk])
    before = client.get(url).content.decode()
    assert "thoughts" in before.lower()  # the item 9 warning
    with tenant_context(tenant_a.tenant.pk):
        corrections.care_record_enter_in_error(record=measure, actor=tenant_a.clinician,
                                               version=1, reason="Another person's form")
    after = client.get(url).content.decode()
    assert "thoughts" not in after.lower()
