"""The duty view's "over 4 weeks without a clock stop" is the reporting refresh's waiting list
(RS02, METRICS.md section 2) past its 0-4 week band, read live: on the same records, the same
people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from caseload import duty
from tests.reporting.world import World

pytestmark = pytest.mark.django_db


def _ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def _everything(world: World, referral, on: str, *, but: str = "") -> None:
    if but != "contact":
        world.contact(referral, on)
    if but != "assessment":
        world.assessment(referral, on)
    if but != "care":
        world.intervention(referral, on)
    if but != "outcome":
        world.outcome(referral, on)


def test_over_four_weeks_is_the_refreshs_waiting_list_beyond_28_days():
    w = World.build()
    w.referral(w.person(), received=_ago(29))  # day 29: over
    w.referral(w.person(), received=_ago(28))  # day 28: within 4 weeks
    for missing in ("contact", "assessment", "care", "outcome"):  # each missing part: over
        referral = w.referral(w.person(), received=_ago(60), status="active", worker="mhp_a",
                              triaged=_ago(59), allocated=_ago(58))
        _everything(w, referral, _ago(50), but=missing)
    stopped = w.referral(w.person(), received=_ago(60), status="active", worker="mhp_a",
                         triaged=_ago(59), allocated=_ago(58))
    _everything(w, stopped, _ago(50))
    planned = w.referral(w.person(), received=_ago(60), status="active", worker="mhp_a",
                         triaged=_ago(59), allocated=_ago(58))
    _everything(w, planned, _ago(50), but="care")
    w.care_plan(planned, None, _ago(40))  # an agreed plan stands for the intervention
    drafted = w.referral(w.person(), received=_ago(60), status="active", worker="mhp_a",
                         triaged=_ago(59), allocated=_ago(58))
    _everything(w, drafted, _ago(50), but="care")
    w.care_plan(drafted, None)  # a draft does not: over
    early = w.referral(w.person(), received=_ago(40), status="active", worker="mhp_a",
                       triaged=_ago(39), allocated=_ago(39))
    _everything(w, early, _ago(30), but="contact")
    w.contact(early, _ago(45))  # before the referral was received: does not count; over
    # A referral within 5 days of the last one's discharge carries on its spell: over.
    spell = w.person()
    w.referral(spell, received=_ago(90), team=w.team_b, status="discharged",
               triaged=_ago(89), discharged=_ago(30))
    w.referral(spell, received=_ago(27))
    # Six days after: a new spell, within 4 weeks.
    fresh = w.person()
    w.referral(fresh, received=_ago(90), team=w.team_b, status="discharged",
               triaged=_ago(89), discharged=_ago(26))
    w.referral(fresh, received=_ago(20))
    # Components on the spell's earlier referral count: stopped.
    carried = w.person()
    before = w.referral(carried, received=_ago(70), team=w.team_b, status="discharged",
                        triaged=_ago(69), discharged=_ago(33))
    _everything(w, before, _ago(60))
    w.referral(carried, received=_ago(31), team=w.hub)
    # Out of the waiting list: ended, a child, a VCSE service's.
    w.referral(w.person(), received=_ago(60), status="rejected", triaged=_ago(1),
               rejection_reason="not_appropriate")
    w.referral(w.person(), received=_ago(60), status="discharged", triaged=_ago(59),
               discharged=_ago(1))
    w.referral(w.person(born=_ago(17 * 365)), received=_ago(60))
    w.referral(w.person(), received=_ago(60), team=w.vcse_team)

    w.refresh(_ago(0))
    this_month = timezone.localdate().strftime("%Y-%m")
    waiting = w.count("RS02", this_month)
    within = w.count("RS02", this_month, category="band:0-4w") or 0
    with w._tenant():
        figures = duty.team_duty([w.team_a, w.team_b, w.hub])
    assert sum(f.over_four_weeks for f in figures) == waiting - within == 8
    assert [f.over_four_weeks for f in figures] == [8, 0, 0]
