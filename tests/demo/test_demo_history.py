"""The demo tenants' history (pcns/demo_history.py): Sheffield matches the evaluation's figures
(University of Sheffield, July 2022) and every row follows the import format
(docs/data-formats.md). Pure Python: no database."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from caseload.codes import (
    TOOLS,
    AssessmentKind,
    Attendance,
    ContactMode,
    ContactPurpose,
    CoProducer,
    InterventionKind,
    OutcomeTool,
)
from pcns import demo_data
from pcns.demo import demo_id
from pcns.demo_history import history_dataset
from pcns.models import Role
from referrals.codes import (
    ContactMethod,
    DischargeReason,
    EthnicCategory,
    Gender,
    NhsNumberMissingReason,
    PresentingNeed,
    RedirectDestination,
    RejectionReason,
    Sex,
    Source,
    Urgency,
)
from referrals.states import OPEN_STATUSES, Status
from referrals.validators import nhs_number_check_digit
from vcse.codes import (
    ClosureOutcome,
    ConsentGiver,
    DeclineReason,
    OnwardStatus,
    SupportCategory,
    VcseAttendance,
    VcseContactMode,
)

LONDON = ZoneInfo("Europe/London")
SHEFFIELD_END = dt.date(2022, 9, 30)
LEEDS_END = dt.date(2026, 9, 30)
CONNECTOR_ROLES = {"connector"}
NON_CLINICAL = {"connector", "peer_support"}
CLINICAL = {"mhp", "clinical_lead", "psychologist", "psychotherapist", "cap", "trainee_cap",
            "occupational_therapist", "pharmacist", "health_coach", "connector", "peer_support"}
PRACTITIONERS = CLINICAL - NON_CLINICAL
CLOSED = {Status.DISCHARGED, Status.REJECTED, Status.REDIRECTED}
MINORITY_EXCLUDED = {"A", "B", "C", "Z", "99"}

# Table 3 of the evaluation, by the demo partner standing for each pseudonym.
ONWARD_BY_PARTNER = {
    "advice": {"male": 60, "female": 75},
    "ageuk": {"male": 26, "female": 27},
    "garden": {"male": 17, "female": 32},
    "boxing": {"male": 11, "female": 4},
    "sacmha": {"male": 24, "female": 18, "not_stated": 2},
    "skills": {"male": 3, "female": 6},
}
SUPPORT_BY_PARTNER = {
    "advice": {"debt_advice": 18, "welfare_benefits": 95, "other": 7},
    "ageuk": {"holistic_needs": 46, "welfare_benefits": 47, "housing": 26, "caring": 11,
              "physical_health": 51, "fuel_poverty": 22},
    "garden": {"volunteering": 40, "community_garden": 31, "social_groups": 49,
               "walk_and_talk": 29},
    "sacmha": {"physical_health": 28, "community_garden": 11, "walk_and_talk": 25,
               "personal_development": 39},
}
# Table 2: 78, 65, 51, 40 and 36 of the 270 people it gives ages for, scaled to all 278.
CONNECTOR_AGES = {"18-29": 80, "30-39": 67, "40-49": 53, "50-59": 41, "60+": 37}


# --------------------------------------------------------------------------- fixtures, helpers


@pytest.fixture(scope="module")
def sheffield() -> dict[str, list[dict[str, str]]]:
    return history_dataset("sheffield")


@pytest.fixture(scope="module")
def leeds() -> dict[str, list[dict[str, str]]]:
    return history_dataset("leeds")


@pytest.fixture(scope="module", params=["sheffield", "leeds"])
def both(request, sheffield, leeds):
    return request.param, {"sheffield": sheffield, "leeds": leeds}[request.param]


def day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in rows}


def spec_of(slug: str) -> dict:
    return next(t for t in demo_data.TENANTS if t["slug"] == slug)


def team_key(slug: str) -> dict[str, str]:
    """Demo team UUID -> the team's key in pcns/demo_data.py."""
    return {str(demo_id(slug, "team", t["key"])): t["key"] for t in spec_of(slug)["teams"]}


def org_key(slug: str) -> dict[str, str]:
    return {str(demo_id(slug, "org", o["key"])): o["key"] for o in spec_of(slug)["organisations"]}


def staff_of(slug: str) -> dict[str, dict]:
    """Demo staff (Membership) UUID -> the staff member's demo data."""
    return {str(demo_id(slug, "staff", p["email"])): p for p in spec_of(slug)["staff"]}


def month(value: str) -> tuple[int, int]:
    parsed = dt.date.fromisoformat(value[:10])
    return parsed.year, parsed.month


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def referral_people(data) -> list[dict[str, str]]:
    people = by_id(data["people"])
    return [people[r["person_id"]] for r in data["referrals"]]


def documented_columns() -> dict[str, tuple[set[str], set[str]]]:
    """Each file's (columns, required columns) as docs/data-formats.md lists them."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "data-formats.md").read_text()
    found = {}
    for match in re.finditer(r"^`(\w+)\.csv`: (.+?)(?:\n\n|\Z)", text, re.M | re.S):
        body = " ".join(match[2].split())
        while re.search(r"\([^()]*\)", body):
            body = re.sub(r"\s*\([^()]*\)", "", body)
        body = next(part for part in body.split(". ") if "**" in part).rstrip(".")
        names = [part.strip() for part in body.split(",")]
        required = {name.strip("*") for name in names if name.startswith("**")}
        found[match[1]] = ({name.strip("*") for name in names}, required)
    return found


# --------------------------------------------------------------------------- the format


def test_every_row_has_only_documented_columns_the_required_ones_and_string_values(both):
    slug, data = both
    documented = documented_columns()
    for kind, rows in data.items():
        columns, required = documented[kind]
        assert rows, f"{slug}: no {kind}"
        for row in rows:
            assert set(row) <= columns, f"{kind}: undocumented {set(row) - columns}"
            assert required <= set(row), f"{kind}: missing {required - set(row)}"
            assert all(isinstance(value, str) for value in row.values())
            assert all(row[column] for column in required), f"{kind} {row['id']}: empty required"


def test_ids_are_unique_within_each_file_except_care_plan_versions(both):
    _, data = both
    for kind, rows in data.items():
        keys = ([(r["id"], r["version"]) for r in rows] if kind == "care_plans"
                else [r["id"] for r in rows])
        assert len(keys) == len(set(keys)), kind


DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[01]:00$")
DATE_COLUMNS = {"received_on", "triaged_on", "allocated_on", "discharged_on", "on",
                "assessed_on", "agreed_on", "review_by", "started_on", "ended_on",
                "completed_on", "sent_on", "responded_on", "closed_on", "consent_given_on",
                "consent_expires_on", "date_of_birth"}
DATETIME_COLUMNS = {"entered_at", "recorded_at"}


def test_dates_and_times_are_written_as_the_format_says(both):
    _, data = both
    for kind, rows in data.items():
        for row in rows:
            for column, value in row.items():
                if not value:
                    continue
                if column in DATE_COLUMNS:
                    assert DATE.match(value), (kind, column, value)
                elif column in DATETIME_COLUMNS:
                    assert DATETIME.match(value), (kind, column, value)
                    parsed = dt.datetime.fromisoformat(value)
                    assert parsed.astimezone(LONDON).utcoffset() == parsed.utcoffset(), value
                elif column == "at":
                    assert re.fullmatch(r"\d{2}:\d{2}", value)


BOOLEAN_COLUMNS = {"interpreter_needed", "direct", "is_open", "is_published",
                   "consent_includes_risk"}
CODES = {
    ("people", "nhs_number_missing_reason"): NhsNumberMissingReason,
    ("people", "sex"): Sex, ("people", "gender"): Gender,
    ("people", "ethnicity"): EthnicCategory, ("people", "preferred_contact_method"): ContactMethod,
    ("referrals", "source"): Source, ("referrals", "urgency"): Urgency,
    ("referrals", "presenting_needs"): PresentingNeed, ("referrals", "status"): Status,
    ("referrals", "redirect_destination"): RedirectDestination,
    ("referrals", "rejection_reason"): RejectionReason,
    ("referrals", "discharge_reason"): DischargeReason,
    ("contacts", "staff_role"): Role, ("contacts", "mode"): ContactMode,
    ("contacts", "attendance"): Attendance, ("contacts", "purpose"): ContactPurpose,
    ("assessments", "kind"): AssessmentKind, ("care_plans", "co_produced_with"): CoProducer,
    ("interventions", "kind"): InterventionKind, ("outcome_measures", "tool"): OutcomeTool,
    ("services", "categories"): SupportCategory,
    ("onward_referrals", "needs"): SupportCategory,
    ("onward_referrals", "status"): OnwardStatus,
    ("onward_referrals", "decline_reason"): DeclineReason,
    ("onward_referrals", "outcome"): ClosureOutcome,
    ("onward_referrals", "consent_given_by"): ConsentGiver,
    ("vcse_contacts", "mode"): VcseContactMode,
    ("vcse_contacts", "attendance"): VcseAttendance,
    ("vcse_contacts", "support_types"): SupportCategory,
}


def test_every_code_is_a_code_of_its_list_and_every_boolean_true_or_false(both):
    _, data = both
    for (kind, column), choices in CODES.items():
        for row in data[kind]:
            if row[column]:
                for code in row[column].split("|"):
                    assert code in choices.values, (kind, column, code)
    for kind, rows in data.items():
        for row in rows:
            for column in BOOLEAN_COLUMNS & set(row):
                assert row[column] in {"true", "false"}, (kind, column)


def test_every_reference_is_to_a_row_of_the_dataset_or_a_demo_record(both):
    slug, data = both
    ids = {kind: {row["id"] for row in rows} for kind, rows in data.items()}
    orgs, teams, staff = set(org_key(slug)), set(team_key(slug)), set(staff_of(slug))
    targets = {
        "person_id": ids["people"], "referral_id": ids["referrals"],
        "previous_referral_id": ids["referrals"], "episode_id": ids["referrals"],
        "contact_id": ids["contacts"], "service_id": ids["services"],
        "onward_referral_id": ids["onward_referrals"], "team_id": teams,
        "organisation_id": orgs, "registered_practice_id": orgs,
        "referrer_organisation_id": orgs, "area_ids": orgs,
    }
    checked = Counter()
    for kind, rows in data.items():
        for row in rows:
            for column, value in row.items():
                if not value or not (column.endswith("_id") or column.endswith("_ids")) or (
                        column == "id"):
                    continue
                allowed = targets.get(column, staff)  # the rest name staff
                for ref in value.split("|"):
                    assert ref in allowed, (kind, row["id"], column, ref)
                    checked[column] += 1
    assert checked["staff_id"] and checked["person_id"] and checked["referral_id"]


def test_people_are_registered_with_a_practice_of_the_team_that_received_them(both):
    slug, data = both
    orgs = {o["key"]: o for o in spec_of(slug)["organisations"]}
    teams = {t["key"]: t for t in spec_of(slug)["teams"]}
    keys, team_keys = org_key(slug), team_key(slug)
    people = by_id(data["people"])
    for referral in data["referrals"]:
        practice = orgs[keys[people[referral["person_id"]]["registered_practice_id"]]]
        host = teams[team_keys[referral["team_id"]]]["host"]
        pcn = orgs[practice["parent"]]
        assert practice["kind"] == "gp_practice"
        assert host in {pcn["key"], pcn["parent"]}


# --------------------------------------------------------------------------- Sheffield's figures


def test_sheffield_has_exactly_2692_referrals_received_jun_2020_to_may_2022(sheffield):
    received = [day(r["received_on"]) for r in sheffield["referrals"]]
    assert len(received) == 2692
    assert min(received) >= dt.date(2020, 6, 1)
    assert max(received) <= dt.date(2022, 5, 31)
    teams = {team_key("sheffield")[r["team_id"]] for r in sheffield["referrals"]}
    assert teams == {"pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"}


def monthly(data, slug: str, column: str = "received_on") -> dict[str, Counter]:
    keys = team_key(slug)
    counts: dict[str, Counter] = defaultdict(Counter)
    for referral in data["referrals"]:
        counts[keys[referral["team_id"]]][month(referral[column])] += 1
    return counts


def test_each_pcn_runs_high_in_its_first_year_then_at_about_half(sheffield):
    """The evaluation's shape: a steady first year (Jul 2020 - Jun 2021), then a lower level
    from Jul 2021. (Levels scaled to its total of 2,692: see pcns/demo_history.py.)"""
    counts = monthly(sheffield, "sheffield")
    first_year = [(2020, m) for m in range(7, 13)] + [(2021, m) for m in range(1, 7)]
    later = [(2021, m) for m in range(7, 13)] + [(2022, m) for m in range(1, 6)]
    anomalies = {"pcn1-team": {(2021, 1), (2021, 2), (2022, 1), (2022, 2)},
                 "pcn2-team": {(2021, 8), (2021, 9), (2021, 10), (2022, 1), (2022, 2),
                               (2022, 3)}}
    for team in ["pcn1-team", "pcn2-team", "pcn3-team", "pcn4-team"]:
        usual = anomalies.get(team, set())
        high = [counts[team][key] for key in first_year if key not in usual]
        low = [counts[team][key] for key in later if key not in usual]
        assert all(33 <= n <= 46 for n in high), (team, high)
        assert all(18 <= n <= 28 for n in low), (team, low)
        assert statistics.mean(high) > 1.6 * statistics.mean(low)


def test_pcn1_dips_in_january_and_february_2021(sheffield):
    pcn1 = monthly(sheffield, "sheffield")["pcn1-team"]
    around = statistics.mean(pcn1[(2020, m)] for m in range(9, 13))
    assert pcn1[(2021, 1)] < around / 2
    assert pcn1[(2021, 2)] < around / 2


def test_pcn2_receives_nothing_while_its_intake_is_paused(sheffield):
    pcn2 = next(o for o in spec_of("sheffield")["organisations"] if o["key"] == "pcn2")
    pauses = pcn2["intake_pauses"]
    assert pauses
    keys = team_key("sheffield")
    for referral in sheffield["referrals"]:
        if keys[referral["team_id"]] == "pcn2-team":
            received = day(referral["received_on"])
            assert not any(start <= received <= end for start, end, _ in pauses), received
    counts = monthly(sheffield, "sheffield")["pcn2-team"]
    for key in [(2021, 8), (2021, 9), (2021, 10), (2022, 2), (2022, 3)]:
        assert counts[key] == 0, key
    assert counts[(2021, 7)] > 0 and counts[(2021, 11)] > 0 and counts[(2022, 4)] > 0


def test_pcn1_backlog_received_in_january_and_february_2022_was_entered_in_march(sheffield):
    keys = team_key("sheffield")
    backlog = [r for r in sheffield["referrals"] if keys[r["team_id"]] == "pcn1-team"
               and month(r["received_on"]) in {(2022, 1), (2022, 2)}]
    assert len(backlog) >= 40
    assert {month(r["entered_at"]) for r in backlog} == {(2022, 3)}
    by_received = monthly(sheffield, "sheffield")["pcn1-team"]
    by_entered = monthly(sheffield, "sheffield", "entered_at")["pcn1-team"]
    usual = statistics.mean(by_received[(2021, m)] for m in range(7, 13))
    assert by_received[(2022, 1)] >= usual and by_received[(2022, 2)] >= usual
    assert by_entered[(2022, 1)] == by_entered[(2022, 2)] == 0
    assert by_entered[(2022, 3)] > 2.5 * usual
    for referral in backlog:
        if not referral["previous_referral_id"]:  # a reopened episode is "triaged" on receipt
            assert day(referral["triaged_on"]) >= day(referral["entered_at"][:10])


def test_other_referrals_are_entered_on_the_day_or_the_next_working_days(both):
    slug, data = both
    keys = team_key(slug)
    for referral in data["referrals"]:
        received, entered = day(referral["received_on"]), day(referral["entered_at"][:10])
        if slug == "sheffield" and keys[referral["team_id"]] == "pcn1-team" and (
                month(referral["entered_at"]) == (2022, 3) and received < dt.date(2022, 3, 1)):
            continue  # the backlog
        assert 0 <= (entered - received).days <= 6, referral["id"]  # 6: over Christmas


def test_about_60_percent_of_people_referred_are_female(both):
    _, data = both
    genders = Counter(p["gender"] for p in referral_people(data))
    share = genders["female"] / sum(genders.values())
    assert 0.57 <= share <= 0.63, share


def test_about_a_fifth_are_minority_ethnic_and_pcn2_is_far_more_diverse(sheffield):
    people = referral_people(sheffield)
    minority = [p["ethnicity"] not in MINORITY_EXCLUDED for p in people]
    share = sum(minority) / len(minority)
    assert 0.17 <= share <= 0.23, share
    keys = team_key("sheffield")
    per_team: dict[str, list[bool]] = defaultdict(list)
    interpreters: Counter[str] = Counter()
    for referral, person in zip(sheffield["referrals"], people, strict=True):
        team = keys[referral["team_id"]]
        per_team[team].append(person["ethnicity"] not in MINORITY_EXCLUDED)
        if person["interpreter_needed"] == "true":
            interpreters[team] += 1
            assert person["language"]
    share_of = {team: sum(flags) / len(flags) for team, flags in per_team.items()}
    others = [share_of[t] for t in share_of if t != "pcn2-team"]
    assert share_of["pcn2-team"] > 2 * max(others)
    assert interpreters["pcn2-team"] > sum(interpreters.values()) / 2


def ages_at_referral(data) -> list[int]:
    return [age_on(day(person["date_of_birth"]), day(referral["received_on"]))
            for referral, person in zip(data["referrals"], referral_people(data), strict=True)]


def test_3_6_percent_are_65_or_over_at_referral_and_no_one_is_under_18(both):
    _, data = both
    ages = ages_at_referral(data)
    assert min(ages) >= 18
    share = sum(age >= 65 for age in ages) / len(ages)
    assert 0.030 <= share <= 0.042, share


def test_the_largest_age_group_is_25_to_44(both):
    _, data = both
    bands = Counter("18-24" if a <= 24 else "25-44" if a <= 44 else "45-64" if a <= 64
                    else "65+" for a in ages_at_referral(data))
    assert bands.most_common(1)[0][0] == "25-44"
    assert bands["25-44"] > 1.3 * max(bands["18-24"], bands["45-64"])


def connector_people(data, slug: str, start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """Person id -> first attended contact with a community connector in [start, end]."""
    referrals = by_id(data["referrals"])
    staff = staff_of(slug)
    seen: dict[str, dt.date] = {}
    for contact in data["contacts"]:
        on = day(contact["on"])
        if (staff[contact["staff_id"]]["role"] == "connector"
                and contact["attendance"] == "attended" and start <= on <= end):
            person = referrals[contact["referral_id"]]["person_id"]
            seen[person] = min(on, seen.get(person, on))
    return seen


def test_connectors_saw_278_people_120_male_158_female_jun_2020_to_mar_2022(sheffield):
    seen = connector_people(sheffield, "sheffield", dt.date(2020, 6, 1), dt.date(2022, 3, 31))
    people = by_id(sheffield["people"])
    assert len(seen) == 278
    genders = Counter(people[person]["gender"] for person in seen)
    assert genders == {"male": 120, "female": 158}
    bands = Counter()
    for person, first in seen.items():
        age = age_on(day(people[person]["date_of_birth"]), first)
        bands["18-29" if age <= 29 else "30-39" if age <= 39 else "40-49" if age <= 49
              else "50-59" if age <= 59 else "60+"] += 1
    assert bands == CONNECTOR_AGES


def test_connectors_keep_working_after_the_evaluation_window(sheffield):
    later = connector_people(sheffield, "sheffield", dt.date(2022, 4, 1), SHEFFIELD_END)
    assert later


def partner_of_onward(data, slug: str) -> dict[str, str]:
    """Onward referral id -> the demo organisation key it went to."""
    services = by_id(data["services"])
    keys = org_key(slug)
    return {o["id"]: keys[services[o["service_id"]]["organisation_id"]]
            for o in data["onward_referrals"]}


def test_305_onward_referrals_split_by_partner_and_gender_as_table_3(sheffield):
    assert len(sheffield["onward_referrals"]) == 305
    partner = partner_of_onward(sheffield, "sheffield")
    referrals = by_id(sheffield["referrals"])
    people = by_id(sheffield["people"])
    split: dict[str, Counter] = defaultdict(Counter)
    for onward in sheffield["onward_referrals"]:
        person = people[referrals[onward["referral_id"]]["person_id"]]
        split[partner[onward["id"]]][person["gender"]] += 1
        assert dt.date(2020, 6, 1) <= day(onward["sent_on"]) <= dt.date(2022, 5, 31)
    assert {key: dict(counts) for key, counts in split.items()} == ONWARD_BY_PARTNER
    assert "mind" not in split  # Sheffield Mind employs the connectors


def test_age_uk_is_sent_people_aged_50_or_over(sheffield):
    partner = partner_of_onward(sheffield, "sheffield")
    referrals, people = by_id(sheffield["referrals"]), by_id(sheffield["people"])
    ages = [age_on(day(people[referrals[o["referral_id"]]["person_id"]]["date_of_birth"]),
                   day(o["sent_on"]))
            for o in sheffield["onward_referrals"] if partner[o["id"]] == "ageuk"]
    assert len(ages) == 53 and min(ages) >= 50


def test_each_onward_referral_to_a_partner_is_for_a_different_person(both):
    slug, data = both
    partner = partner_of_onward(data, slug)
    referrals = by_id(data["referrals"])
    pairs = [(partner[o["id"]], referrals[o["referral_id"]]["person_id"])
             for o in data["onward_referrals"]]
    assert len(pairs) == len(set(pairs))


def test_support_delivered_by_each_partner_adds_up_to_table_3(sheffield):
    partner = partner_of_onward(sheffield, "sheffield")
    delivered: dict[str, Counter] = defaultdict(Counter)
    for contact in sheffield["vcse_contacts"]:
        if contact["attendance"] == "attended":
            for kind in contact["support_types"].split("|"):
                delivered[partner[contact["onward_referral_id"]]][kind] += 1
        else:
            assert contact["support_types"] == ""
    for key, expected in SUPPORT_BY_PARTNER.items():
        assert dict(delivered[key]) == expected, key
    # Table 3 names these partners' support without numbers: some of each.
    assert set(delivered["boxing"]) == {"physical_health", "debt_advice", "personal_development"}
    assert set(delivered["skills"]) >= {"employment", "volunteering"}


def test_each_partner_lists_the_support_it_gives_in_the_directory(both):
    slug, data = both
    keys = org_key(slug)
    vcse = {o["key"] for o in spec_of(slug)["organisations"] if o["kind"] == "vcse"}
    listed = {keys[s["organisation_id"]]: set(s["categories"].split("|"))
              for s in data["services"]}
    assert set(listed) == vcse
    partner = partner_of_onward(data, slug)
    for contact in data["vcse_contacts"]:
        kinds = set(filter(None, contact["support_types"].split("|")))
        assert kinds <= listed[partner[contact["onward_referral_id"]]]


def test_a_may_2022_snapshot_still_has_open_referrals_and_a_waiting_list(sheffield):
    may_end = dt.date(2022, 5, 31)
    seen = defaultdict(int)
    for contact in sheffield["contacts"]:
        if contact["attendance"] == "attended" and day(contact["on"]) <= may_end:
            seen[contact["referral_id"]] += 1
    open_then = []
    for referral in sheffield["referrals"]:
        ended = referral["discharged_on"] or (
            referral["triaged_on"] if referral["status"] in {"rejected", "redirected"} else "")
        if day(referral["received_on"]) <= may_end and day(ended) > may_end:
            open_then.append(referral)
    assert len(open_then) > 100
    assert sum(1 for r in open_then if seen[r["id"]] == 0) > 10


# --------------------------------------------------------------------------- people


def test_nhs_numbers_are_valid_unique_and_in_the_tenants_test_range(both):
    slug, data = both
    prefix = {"sheffield": "9990", "leeds": "9991"}[slug]
    numbers = [p["nhs_number"] for p in data["people"] if p["nhs_number"]]
    assert len(numbers) == len(set(numbers))
    for number in numbers:
        assert len(number) == 10 and number.isdigit() and number.startswith(prefix)
        assert nhs_number_check_digit(number[:9]) == int(number[9])
    for person in data["people"]:
        assert bool(person["nhs_number"]) != bool(person["nhs_number_missing_reason"])
    assert len(numbers) > 0.97 * len(data["people"])


def test_people_have_made_up_details_in_the_demo_postcode_area(both):
    slug, data = both
    area = {"sheffield": "S", "leeds": "LS"}[slug]
    for person in data["people"]:
        assert re.fullmatch(area + r"\d", person["postcode"].split()[0][:len(area) + 1])
        assert person["lsoa_code"] and 1 <= int(person["imd_decile"]) <= 10
        assert person["phone"].startswith("07700 900")
        assert not person["email"] or person["email"].endswith("@example.com")
        if person["preferred_contact_method"] == "email":
            assert person["email"]
        if person["interpreter_needed"] == "true":
            assert person["language"]


def test_some_people_are_referred_again_some_within_90_days_of_a_discharge(both):
    _, data = both
    referrals = by_id(data["referrals"])
    by_person: dict[str, list[dict]] = defaultdict(list)
    for referral in data["referrals"]:
        by_person[referral["person_id"]].append(referral)
    again = [rows for rows in by_person.values() if len(rows) > 1]
    linked = [r for r in data["referrals"] if r["previous_referral_id"]]
    assert len(linked) >= 20
    assert len(again) > len(linked)  # some come back after the window
    for referral in linked:
        previous = referrals[referral["previous_referral_id"]]
        assert previous["person_id"] == referral["person_id"]
        assert previous["team_id"] == referral["team_id"]
        assert previous["status"] == "discharged"
        gap = (day(referral["received_on"]) - day(previous["discharged_on"])).days
        assert 0 <= gap <= 90
        assert referral["episode_id"] == (previous["episode_id"] or previous["id"])
        assert referral["worker_id"] == previous["worker_id"]
    # ...and the link is there exactly when the window says so (referrals.services).
    for rows in again:
        for referral in rows:
            within = [r for r in rows if r["status"] == "discharged" and 0 <= (
                day(referral["received_on"]) - day(r["discharged_on"])).days <= 90]
            assert bool(within) == bool(referral["previous_referral_id"]), referral["id"]


# --------------------------------------------------------------------------- referrals and care


def test_no_history_referral_is_still_open(both):
    _, data = both
    statuses = Counter(r["status"] for r in data["referrals"])
    assert set(statuses) <= CLOSED
    assert not set(statuses) & OPEN_STATUSES
    total = sum(statuses.values())
    assert statuses["discharged"] / total > 0.75
    assert 0.03 < statuses["rejected"] / total < 0.1
    assert 0.05 < statuses["redirected"] / total < 0.14


def test_each_referrals_columns_agree_with_its_status(both):
    """docs/data-formats.md: "A referral's columns must agree with its status"."""
    _, data = both
    triaged = {"accepted", "allocated", "active", "redirected", "rejected", "discharged"}
    for r in data["referrals"]:
        status = r["status"]
        assert bool(r["triaged_on"]) == (status in triaged)
        assert bool(r["redirect_destination"]) == (status == "redirected")
        assert bool(r["rejection_reason"]) == (status == "rejected")
        assert bool(r["discharged_on"]) == bool(r["discharge_reason"]) == (status == "discharged")
        if status in {"allocated", "active"}:
            assert r["worker_id"]
        if r["discharge_reason"] in {"stepped_up", "stepped_down"}:
            assert r["discharge_destination"]
        if r["discharge_reason"] == "other":
            assert r["discharge_note"]
        dates = [day(r[c]) for c in ("received_on", "triaged_on", "allocated_on",
                                     "discharged_on") if r[c]]
        assert dates == sorted(dates), r["id"]
        assert bool(r["allocated_on"]) == bool(r["worker_id"])
        assert r["triaged_by_id"] and r["entered_by_id"]


def test_referrals_are_triaged_within_days_by_a_practitioner_or_lead_of_the_team(both):
    slug, data = both
    staff, keys = staff_of(slug), team_key(slug)
    waits = []
    for r in data["referrals"]:
        triager = staff[r["triaged_by_id"]]
        assert triager["role"] in {"mhp", "clinical_lead"}
        assert keys[r["team_id"]] in triager["teams"]
        waits.append((day(r["triaged_on"]) - max(day(r["received_on"]),
                                                 day(r["entered_at"][:10]))).days)
    assert statistics.median(waits) <= 3
    assert max(waits) <= 21  # the longest: to the next MDT meeting, over Christmas


def test_a_person_never_has_two_open_referrals_in_one_team_at_once(both):
    _, data = both
    spans: dict[tuple[str, str], list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for r in data["referrals"]:
        end = r["discharged_on"] or r["triaged_on"]
        spans[(r["person_id"], r["team_id"])].append((day(r["received_on"]), day(end)))
    for intervals in spans.values():
        intervals.sort()
        for (_, first_end), (second_start, _) in itertools.pairwise(intervals):
            assert first_end <= second_start


def test_care_is_dated_within_its_referral_and_by_staff_of_the_team_in_allowed_roles(both):
    slug, data = both
    staff, keys = staff_of(slug), team_key(slug)
    referrals = by_id(data["referrals"])
    contacts = by_id(data["contacts"])

    def within(referral_id: str, on: str) -> None:
        referral = referrals[referral_id]
        end = referral["discharged_on"] or referral["triaged_on"]
        assert day(referral["received_on"]) <= day(on) <= day(end), (referral_id, on)

    def of_team(referral_id: str, staff_id: str, roles: set[str]) -> None:
        member = staff[staff_id]
        assert member["role"] in roles, member["role"]
        assert keys[referrals[referral_id]["team_id"]] in member["teams"]

    for c in data["contacts"]:
        within(c["referral_id"], c["on"])
        of_team(c["referral_id"], c["staff_id"], CLINICAL)
        assert c["team_id"] == referrals[c["referral_id"]]["team_id"]
        assert c["staff_role"] == staff[c["staff_id"]]["role"]
        assert c["attendance"] != "booked"
        assert c["recorded_at"][:10] == c["on"]
    for a in data["assessments"]:
        within(a["referral_id"], a["assessed_on"])
        of_team(a["referral_id"], a["assessor_id"], PRACTITIONERS)
        assert contacts[a["contact_id"]]["on"] == a["assessed_on"]
        assert contacts[a["contact_id"]]["attendance"] == "attended"
        if a["kind"] in {"initial", "biopsychosocial", "risk"}:
            assert a["risk_summary"]
    for p in data["care_plans"]:
        within(p["referral_id"], p["agreed_on"])
        of_team(p["referral_id"], p["recorded_by_id"], PRACTITIONERS)
        assert p["version"] == "1" and p["goals"] and "person" in p["co_produced_with"]
    for i in data["interventions"]:
        within(i["referral_id"], i["started_on"])
        within(i["referral_id"], i["ended_on"])
        clinical = i["kind"] in {"psychological_therapy", "psychosocial",
                                 "medication_physical_health"}
        of_team(i["referral_id"], i["delivered_by_id"], PRACTITIONERS if clinical else CLINICAL)
        assert contacts[i["contact_id"]]["staff_id"] == i["delivered_by_id"]
    for o in data["outcome_measures"]:
        within(o["referral_id"], o["completed_on"])
        assert contacts[o["contact_id"]]["referral_id"] == o["referral_id"]


def test_discharge_follows_the_last_contact(both):
    _, data = both
    last: dict[str, str] = {}
    for c in data["contacts"]:
        last[c["referral_id"]] = max(c["on"], last.get(c["referral_id"], ""))
    for r in data["referrals"]:
        if r["discharged_on"] and r["id"] in last:
            assert last[r["id"]] <= r["discharged_on"]


def test_accepted_referrals_get_realistic_care(both):
    """Modes with DNAs and cancellations, 2-8 contacts typically, an initial assessment, an
    agreed plan, interventions by role and DIALOG outcomes (baseline and often a later one)."""
    slug, data = both
    per_referral = Counter(c["referral_id"] for c in data["contacts"])
    discharged = [r for r in data["referrals"] if r["status"] == "discharged"]
    counts = [per_referral[r["id"]] for r in discharged]
    assert 2 <= statistics.median(counts) <= 8
    attendance = Counter(c["attendance"] for c in data["contacts"])
    dna_rate = attendance["dna"] / (attendance["dna"] + attendance["attended"])
    assert 0.10 <= dna_rate <= 0.15, dna_rate
    assert attendance["cancelled_by_patient"] and attendance["cancelled_by_provider"]
    modes = Counter(c["mode"] for c in data["contacts"])
    assert {"face_to_face", "telephone", "video", "text_email"} <= set(modes)
    assert modes["text_email"] < 0.08 * sum(modes.values())
    assert Counter(a["kind"] for a in data["assessments"]).most_common(1)[0][0] == "initial"
    assert all(p["agreed_on"] for p in data["care_plans"])
    assert len(data["care_plans"]) > 0.6 * len(discharged)
    staff = staff_of(slug)
    for i in data["interventions"]:
        role = staff[i["delivered_by_id"]]["role"]
        if role in {"psychologist", "psychotherapist", "trainee_cap"}:
            assert i["kind"] == "psychological_therapy"
        if role == "connector":
            assert i["kind"] == "community_connection"
    per = Counter(o["referral_id"] for o in data["outcome_measures"])
    assert sum(1 for n in per.values() if n >= 2) > 0.3 * len(per)


def test_dialog_outcomes_have_11_items_from_1_to_7_and_11_answers_about_more_help(both):
    _, data = both
    spec = TOOLS["dialog"]
    for o in data["outcome_measures"]:
        assert o["tool"] == "dialog"
        items = [int(item) for item in o["items"].split("|")]
        wants = o["wants_more_help"].split("|")
        assert len(items) == len(spec.items) == 11
        assert all(spec.minimum <= item <= spec.maximum for item in items)
        assert len(wants) == 11 and set(wants) <= {"true", "false"}


# --------------------------------------------------------------------------- onward referrals


def test_onward_referrals_are_sent_with_consent_while_the_referral_is_open(both):
    slug, data = both
    staff, keys = staff_of(slug), team_key(slug)
    referrals = by_id(data["referrals"])
    for o in data["onward_referrals"]:
        referral = referrals[o["referral_id"]]
        sent = day(o["sent_on"])
        assert referral["status"] == "discharged"
        assert day(referral["received_on"]) <= sent < day(referral["discharged_on"])
        sender = staff[o["sent_by_id"]]
        assert o["sent_by_id"] == referral["worker_id"] or (
            sender["role"] == "connector" and keys[referral["team_id"]] in sender["teams"])
        assert o["consent_given_on"] == o["sent_on"]
        expires = day(o["consent_expires_on"])
        assert (expires.year, expires.month) == (sent.year + 1, sent.month)
        assert expires.day == sent.day or (sent.month, sent.day, expires.day) == (2, 29, 28)
        assert o["consent_purpose"] and o["reason"] and o["needs"]
        if o["consent_given_by"] == "representative":
            assert o["consent_given_by_name"]


def test_partners_answer_accept_most_and_close_every_one(both):
    slug, data = both
    staff = staff_of(slug)
    partner = partner_of_onward(data, slug)
    statuses = Counter(o["status"] for o in data["onward_referrals"])
    assert set(statuses) == {"closed", "declined"}
    assert statuses["declined"] < 0.15 * sum(statuses.values())
    for o in data["onward_referrals"]:
        responder = staff[o["responded_by_id"]]
        assert responder["employer"] == partner[o["id"]]
        assert responder["role"] in {"vcse_worker", "vcse_lead"}
        assert day(o["sent_on"]) <= day(o["responded_on"])
        assert bool(o["decline_reason"]) == (o["status"] == "declined")
        assert bool(o["closed_on"]) == bool(o["outcome"]) == (o["status"] == "closed")


def test_vcse_contacts_are_logged_by_the_partners_staff_between_answer_and_close(both):
    slug, data = both
    staff = staff_of(slug)
    partner = partner_of_onward(data, slug)
    onwards = by_id(data["onward_referrals"])
    for c in data["vcse_contacts"]:
        onward = onwards[c["onward_referral_id"]]
        member = staff[c["staff_id"]]
        assert member["employer"] == partner[onward["id"]]
        assert member["role"] in {"vcse_worker", "vcse_lead"}
        assert onward["status"] == "closed"
        assert onward["responded_on"] <= c["on"] <= onward["closed_on"]
        assert (c["attendance"] == "attended") == bool(c["support_types"])


# --------------------------------------------------------------------------- the end date


FORWARD_LOOKING = {"consent_expires_on", "review_by"}  # plans, not things that happened


def test_nothing_in_sheffields_history_happens_after_30_september_2022(sheffield):
    latest = ""
    for kind, rows in sheffield.items():
        for row in rows:
            for column in (DATE_COLUMNS | DATETIME_COLUMNS) - FORWARD_LOOKING:
                if row.get(column):
                    assert row[column][:10] <= SHEFFIELD_END.isoformat(), (kind, column)
                    latest = max(latest, row[column][:10])
    assert latest > "2022-08-01"  # care carries on after the last referrals of May 2022


def test_leeds_history_runs_from_its_hubs_go_live_to_its_fixed_end(leeds):
    latest = ""
    for rows in leeds.values():
        for row in rows:
            for column in (DATE_COLUMNS | DATETIME_COLUMNS) - FORWARD_LOOKING - {"date_of_birth"}:
                if row.get(column):
                    assert "2023-10-02" <= row[column][:10] <= LEEDS_END.isoformat()
                    latest = max(latest, row[column][:10])
    assert latest > "2026-09-01"


def test_each_leeds_hub_receives_15_to_25_referrals_a_full_month(leeds):
    counts = monthly(leeds, "leeds")
    assert set(counts) == {"hub-hatch", "hub-lsmp", "hub-west"}
    orgs = {o["key"]: o for o in spec_of("leeds")["organisations"]}
    teams = {t["key"]: t for t in spec_of("leeds")["teams"]}
    for team, months in counts.items():
        live = min(o["go_live_date"] for o in orgs.values()
                   if o["kind"] == "pcn" and o["parent"] == teams[team]["host"])
        received = [day(r["received_on"]) for r in leeds["referrals"]
                    if team_key("leeds")[r["team_id"]] == team]
        assert min(received) >= live
        assert max(received) <= dt.date(2026, 8, 31)
        full = [key for key in months if key > (live.year, live.month)]
        assert len(full) >= 30
        assert all(15 <= months[key] <= 25 for key in full), team


def test_leeds_refers_a_few_people_on_to_its_own_vcse_partners(leeds):
    partners = Counter(partner_of_onward(leeds, "leeds").values())
    assert set(partners) == {"leeds-mind", "lip", "harebell"}
    assert 30 <= sum(partners.values()) <= 0.1 * len(leeds["referrals"])


# --------------------------------------------------------------------------- determinism, speed


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(sheffield):
    assert history_dataset("sheffield") == sheffield
    other = history_dataset("sheffield", seed=7)
    assert other != sheffield
    assert len(other["referrals"]) == 2692  # the figures hold whatever the seed
    assert len(other["onward_referrals"]) == 305


def test_sheffields_history_builds_in_well_under_ten_seconds():
    started = time.perf_counter()
    history_dataset("sheffield", seed=11)
    assert time.perf_counter() - started < 10


def test_an_unknown_tenant_has_no_history():
    with pytest.raises(ValueError, match="nowhere"):
        history_dataset("nowhere")
