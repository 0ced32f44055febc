"""Escalation: an emergency or urgent referral not triaged within the tenant's time emails every
lead of its team, once, after the time and not before; urgent counts working days. The clock is
frozen: nothing here sleeps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from config.schedules import BEAT_SCHEDULE
from pcns.models import AuditEvent, Membership, Role, TeamMembership
from pcns.tenancy import tenant_context
from referrals import services
from referrals.models import Referral, ReferralEvent
from referrals.tasks import escalate_untriaged
from tests.factories import make_referral, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
#: A Thursday. The next day is Good Friday and the Monday after is Easter Monday (bank
#: holidays in England), and the clocks go forward on the Sunday between.
THURSDAY = dt.datetime(2027, 3, 25, 10, 0, tzinfo=LONDON)


def _second_lead(cast) -> None:
    with tenant_context(cast.tenant.pk):
        user = make_user("second.lead@northtown.test", first_name="Second", last_name="Lead")
        membership = Membership.objects.create(tenant=cast.tenant, user=user,
                                               role=Role.CLINICAL_LEAD, employer=cast.trust)
        TeamMembership.objects.create(tenant=cast.tenant, membership=membership,
                                      team=cast.pcn_team)


def _entered(cast, at: dt.datetime, **overrides) -> Referral:
    with freeze_time(at):
        return make_referral(cast, received_on=at.date(), **overrides)


def _run_at(cast, at: dt.datetime, capture) -> int:
    """Run the job as the beat schedule would at ``at``; its emails go after the commit."""
    with freeze_time(at), capture(execute=True):
        return escalate_untriaged(tenant_id=str(cast.tenant.pk))


def _reload(cast, referral) -> Referral:
    with tenant_context(cast.tenant.pk):
        return Referral.objects.get(pk=referral.pk)


def test_an_emergency_not_triaged_in_4_hours_emails_every_lead_of_the_team_once(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    cast = tenant_a
    _second_lead(cast)
    referral = _entered(cast, THURSDAY, urgency="emergency")

    assert _run_at(cast, THURSDAY + dt.timedelta(hours=3, minutes=59),
                   django_capture_on_commit_callbacks) == 0
    assert mailoutbox == [] and _reload(cast, referral).triage_escalated_at is None

    due = THURSDAY + dt.timedelta(hours=4, minutes=1)
    assert _run_at(cast, due, django_capture_on_commit_callbacks) == 1
    [email] = mailoutbox
    assert sorted(email.to) == ["second.lead@northtown.test", "team_lead@northtown.test"]
    assert email.subject == f"Emergency referral not triaged in time: {cast.pcn_team.name}"
    assert "/referrals/" in email.body
    with tenant_context(cast.tenant.pk):
        person = Referral.objects.get(pk=referral.pk).person
    text = f"{email.subject}\n{email.body}"
    for personal in [person.given_name, person.family_name, person.nhs_number, str(referral.pk)]:
        assert personal not in text

    # The next runs, that day and the day after: claimed already, nobody is emailed again.
    assert _run_at(cast, due + dt.timedelta(minutes=10), django_capture_on_commit_callbacks) == 0
    assert _run_at(cast, due + dt.timedelta(days=1), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1
    assert _reload(cast, referral).triage_escalated_at == due
    with tenant_context(cast.tenant.pk):
        event = ReferralEvent.objects.get(referral=referral, kind="triage_escalated")
        assert event.actor is None and event.to_status == "awaiting_triage"
        assert AuditEvent.objects.filter(target_id=str(referral.pk),
                                         fields=["triage_escalated_at"]).count() == 1


def test_an_urgent_referral_waits_one_working_day_past_the_bank_holidays(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    cast = tenant_a
    referral = _entered(cast, THURSDAY, urgency="urgent")
    # 24 hours later is Good Friday, then a weekend and Easter Monday: none are working days.
    for not_yet in [THURSDAY + dt.timedelta(days=1, minutes=1),
                    dt.datetime(2027, 3, 29, 11, 0, tzinfo=LONDON),
                    dt.datetime(2027, 3, 30, 9, 59, tzinfo=LONDON)]:
        assert _run_at(cast, not_yet, django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []
    # Tuesday, the same time of day (British Summer Time by then).
    assert _run_at(cast, dt.datetime(2027, 3, 30, 10, 1, tzinfo=LONDON),
                   django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1 and mailoutbox[0].subject.startswith("Urgent referral")
    assert _reload(cast, referral).triage_escalated_at is not None


def test_an_urgent_referral_on_an_ordinary_week_is_due_the_next_working_day(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    tuesday = dt.datetime(2027, 4, 13, 15, 30, tzinfo=LONDON)
    _entered(tenant_a, tuesday, urgency="urgent")
    assert _run_at(tenant_a, tuesday + dt.timedelta(hours=23, minutes=59),
                   django_capture_on_commit_callbacks) == 0
    assert _run_at(tenant_a, tuesday + dt.timedelta(days=1, minutes=1),
                   django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1


def test_a_referral_triaged_in_time_and_a_routine_one_are_never_escalated(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    cast = tenant_a
    emergency = _entered(cast, THURSDAY, urgency="emergency")
    _entered(cast, THURSDAY, urgency="routine")
    with freeze_time(THURSDAY + dt.timedelta(hours=1)), tenant_context(cast.tenant.pk):
        services.referral_accept(referral=emergency, actor=cast.team_lead,
                                 version=emergency.version)
    assert _run_at(cast, THURSDAY + dt.timedelta(days=30),
                   django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_the_tenant_sets_the_time(tenant_a, mailoutbox, django_capture_on_commit_callbacks):
    cast = tenant_a
    with tenant_context(cast.tenant.pk):
        assert cast.tenant.escalate_emergency_after_hours == 4
        assert cast.tenant.escalate_urgent_after_working_days == 1
        cast.tenant.escalate_emergency_after_hours = 1
        cast.tenant.save(update_fields=["escalate_emergency_after_hours"])
    _entered(cast, THURSDAY, urgency="emergency")
    assert _run_at(cast, THURSDAY + dt.timedelta(minutes=59),
                   django_capture_on_commit_callbacks) == 0
    assert _run_at(cast, THURSDAY + dt.timedelta(minutes=61),
                   django_capture_on_commit_callbacks) == 1


def test_one_tenants_job_escalates_none_of_anothers_referrals(
    tenant_a, tenant_b, mailoutbox, django_capture_on_commit_callbacks
):
    referral = _entered(tenant_a, THURSDAY, urgency="emergency")
    assert _run_at(tenant_b, THURSDAY + dt.timedelta(hours=5),
                   django_capture_on_commit_callbacks) == 0
    assert mailoutbox == [] and _reload(tenant_a, referral).triage_escalated_at is None


def test_the_beat_schedule_runs_the_escalation_often():
    entry = BEAT_SCHEDULE["escalate-untriaged-referrals"]
    assert entry["task"] == "referrals.tasks.escalate_untriaged_everywhere"
    assert entry["schedule"].minute == set(range(0, 60, 10))


def test_an_imported_referral_still_awaiting_triage_emails_no_one(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks
):
    from pcns.dataset import dataset_import
    from tests.dataset.helpers import person_row, referral_row, tables
    from tests.factories import fresh_nhs_number

    files = dict(people=[person_row("P1", fresh_nhs_number())],
                 referrals=[referral_row("R1", "P1", tenant_a.pcn_team, urgency="emergency",
                                         received_on="2027-03-24")])
    with freeze_time(THURSDAY), tenant_context(tenant_a.tenant.pk):
        report = dataset_import(tables=tables(**files), actor=tenant_a.tenant_admin)
        assert report.errors == [] and report.imported
    assert _run_at(tenant_a, THURSDAY + dt.timedelta(days=3),
                   django_capture_on_commit_callbacks) == 0
    assert mailoutbox == []


def test_a_mail_server_that_refuses_leaves_the_referral_to_the_next_run(
    tenant_a, mailoutbox, django_capture_on_commit_callbacks, settings
):
    cast = tenant_a
    referral = _entered(cast, THURSDAY, urgency="emergency")
    due = THURSDAY + dt.timedelta(hours=4, minutes=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    assert _run_at(cast, due, django_capture_on_commit_callbacks) == 0  # nothing listening
    assert _reload(cast, referral).triage_escalated_at is None
    with tenant_context(cast.tenant.pk):
        assert not ReferralEvent.objects.filter(referral=referral,
                                                kind="triage_escalated").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = due + dt.timedelta(minutes=10)
    assert _run_at(cast, later, django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 1
    assert _reload(cast, referral).triage_escalated_at is not None
