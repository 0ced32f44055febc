"""The daily unanswered onward referrals job, run by a real Celery worker over a real Redis, and
the working-day arithmetic it rests on (England: weekends and English bank holidays)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from config.celery import app
from pcns.tenancy import tenant_context
from tests.factories import make_onward_referral, make_person, make_referral
from vcse import services
from vcse.codes import OnwardEventKind
from vcse.models import OnwardReferral
from vcse.tasks import flag_unanswered_everywhere, flag_unanswered_onward_referrals
from vcse.workdays import (
    is_working_day,
    latest_start_for,
    working_days_after,
    working_days_between,
)

D = dt.date


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def _wait_for(condition, timeout: float = 30.0) -> None:
    """Poll until ``condition()`` holds: tasks queued by a task run in the worker's thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.05)


def _sent_working_days_ago(cast, *, extra_days: int = 0, person=None) -> OnwardReferral:
    """A new onward referral whose ``sent_on`` is the latest day that has waited 10 working
    days by today, moved ``extra_days`` later."""
    today = timezone.localdate()
    sent_on = latest_start_for(today, 10) + dt.timedelta(days=extra_days)
    referral = make_referral(cast, person=person, received_on=today - dt.timedelta(days=40))
    onward = make_onward_referral(cast, referral=referral)
    with tenant_context(cast.tenant.pk):
        OnwardReferral.objects.filter(pk=onward.pk).update(sent_on=sent_on)
        onward.refresh_from_db()
    return onward


def _flagged(cast, onward) -> bool:
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.get(pk=onward.pk).flagged_unanswered_at is not None


def _run(cast) -> int:
    return flag_unanswered_onward_referrals.delay(tenant_id=str(cast.tenant.pk)).get(timeout=30)


# --------------------------------------------------------------------------- the job


def test_an_onward_referral_unanswered_for_10_working_days_is_flagged_once_naming_no_one(
    worker, tenant_a, mailoutbox
):
    cast = tenant_a
    person = make_person(cast, given_name="Oksana", family_name="Threlkeld",
                         phone="07700 900777", email="oksana.t@example.net")
    onward = _sent_working_days_ago(cast, person=person)

    assert _run(cast) == 1

    assert _flagged(cast, onward)
    with tenant_context(cast.tenant.pk):
        assert onward.events.filter(kind=OnwardEventKind.FLAGGED_UNANSWERED).count() == 1
        assert OnwardReferral.objects.get(pk=onward.pk).status == "sent"
    by_recipient = {tuple(sorted(email.to)): email for email in mailoutbox}
    assert set(by_recipient) == {(cast.connector.email,), (cast.vcse_lead.email,)}
    assert cast.vcse.name in by_recipient[(cast.connector.email,)].subject
    assert "/inbox/" in by_recipient[(cast.vcse_lead.email,)].body
    number = person.nhs_number
    for email in mailoutbox:
        text = f"{email.subject}\n{email.body}"
        for personal in [person.given_name, person.family_name, number,
                         f"{number[:3]} {number[3:6]} {number[6:]}", person.phone, person.email,
                         "rent arrears", str(onward.referral_id), str(person.pk)]:
            assert personal not in text, personal

    # Run again (tomorrow's run, a retry, a duplicate delivery): nothing more.
    assert _run(cast) == 0
    assert len(mailoutbox) == 2
    with tenant_context(cast.tenant.pk):
        assert onward.events.filter(kind=OnwardEventKind.FLAGGED_UNANSWERED).count() == 1


def test_an_onward_referral_sent_a_day_later_has_waited_9_working_days_and_is_not_flagged(
    worker, tenant_a, mailoutbox
):
    cast = tenant_a
    onward = _sent_working_days_ago(cast, extra_days=1)
    assert working_days_between(onward.sent_on, timezone.localdate()) < 10

    assert _run(cast) == 0
    assert not _flagged(cast, onward)
    assert mailoutbox == []


def test_an_accepted_onward_referral_is_not_flagged(worker, tenant_a, mailoutbox):
    cast = tenant_a
    onward = _sent_working_days_ago(cast)
    with tenant_context(cast.tenant.pk):
        services.onward_referral_accept(onward=onward, actor=cast.vcse_worker,
                                        version=onward.version)

    assert _run(cast) == 0
    assert not _flagged(cast, onward)
    assert mailoutbox == []


def test_each_tenant_flags_only_its_own(worker, tenant_a, tenant_b, mailoutbox):
    ours, theirs = _sent_working_days_ago(tenant_a), _sent_working_days_ago(tenant_b)

    assert _run(tenant_b) == 1

    assert _flagged(tenant_b, theirs)
    assert not _flagged(tenant_a, ours)
    recipients = {address for email in mailoutbox for address in email.to}
    assert recipients == {tenant_b.connector.email, tenant_b.vcse_lead.email}


def test_the_daily_run_queues_each_tenant_and_each_flags_its_own(worker, tenant_a, tenant_b,
                                                                  mailoutbox):
    ours, theirs = _sent_working_days_ago(tenant_a), _sent_working_days_ago(tenant_b)

    assert flag_unanswered_everywhere.delay().get(timeout=30) == 2

    _wait_for(lambda: _flagged(tenant_a, ours) and _flagged(tenant_b, theirs))
    _wait_for(lambda: len(mailoutbox) == 4)
    to = sorted(address for email in mailoutbox for address in email.to)
    assert to == sorted([tenant_a.connector.email, tenant_a.vcse_lead.email,
                         tenant_b.connector.email, tenant_b.vcse_lead.email])


# --------------------------------------------------------------------------- working days


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 12, 24), True),  # Thursday
    (D(2026, 12, 25), False),  # Christmas Day, a Friday
    (D(2026, 12, 26), False),  # Boxing Day falls on a Saturday ...
    (D(2026, 12, 28), False),  # ... so the Monday is the bank holiday
    (D(2026, 12, 29), True),
    (D(2026, 4, 3), False),  # Good Friday
    (D(2026, 4, 6), False),  # Easter Monday
    (D(2026, 5, 4), False),  # early May bank holiday
    (D(2026, 8, 31), False),  # summer bank holiday (England; Scotland's is earlier)
    (D(2026, 1, 2), True),  # a bank holiday in Scotland only
    (D(2026, 11, 30), True),  # St Andrew's Day: Scotland only
    (D(2026, 3, 7), False),  # Saturday
    (D(2026, 3, 8), False),  # Sunday
    (D(2026, 3, 9), True),  # Monday
])
def test_working_days_are_weekdays_that_are_not_english_bank_holidays(day, working):
    assert is_working_day(day) is working


def test_counting_working_days_skips_christmas_and_the_boxing_day_substitute():
    # After Thursday 24/12/2026: Fri 25 (holiday), the weekend, Mon 28 (holiday), then 29-31.
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 31)) == 3
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 28)) == 0
    assert working_days_between(D(2026, 12, 31), D(2026, 12, 24)) == 0
    assert working_days_after(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert working_days_after(D(2026, 12, 23), 2) == D(2026, 12, 29)
    # Friday 06/03/2026 + 1 working day: the weekend is skipped.
    assert working_days_after(D(2026, 3, 6), 1) == D(2026, 3, 9)


def test_the_latest_start_is_the_last_day_that_has_waited_long_enough():
    assert latest_start_for(D(2026, 12, 31), 3) == D(2026, 12, 28)
    # Ten working days back from Friday 08/01/2027 crosses New Year's Day and Christmas week.
    latest = latest_start_for(D(2027, 1, 8), 10)
    assert latest == D(2026, 12, 22)
    day = D(2026, 1, 1)
    while day < D(2027, 1, 31):
        latest = latest_start_for(day, 10)
        assert working_days_between(latest, day) >= 10, day
        assert working_days_between(latest + dt.timedelta(days=1), day) < 10, day
        day += dt.timedelta(days=1)
