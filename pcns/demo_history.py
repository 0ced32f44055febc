"""The demo tenants' history, as a dataset in the bulk import format (docs/data-formats.md).

The current-intake demo (referrals/demo.py and friends) shows a few weeks of work; dashboards and
the metrics need years. This module builds those years as plain rows, the same rows an import of
CSV files would read, so the history goes in through the importer's checks like any other data.
Rows refer to the demo organisations, teams and staff (pcns/demo_data.py, created by
``pcns.demo.load_tenant``) by their demo UUIDs, and to each other by this module's own ids.

Sheffield follows the University of Sheffield evaluation of the Sheffield pilot (July 2022;
shared/seeds, "Programme Activity" and Tables 2 and 3) and SPEC section 8:

- 2,692 referrals received Jun 2020 - May 2022 by the four PCN teams, monthly numbers from the
  explicit table ``SHEFFIELD_REFERRALS`` below, with the report's three anomalies: PCN1's dip in
  Jan-Feb 2021 (a vacancy), PCN1's backlog (received Jan-Feb 2022, typed in in March 2022) and
  PCN2's two intake pauses (no PCN2 referral is received inside one).
  The report's per-PCN levels ("around 50-60 a month" to Jun 2021, "20-30" after) cannot hold
  together with its own total: four PCNs at 50 a month for twelve months already make 2,400 of
  the 2,692. We keep the total (the headline figure, and SPEC's first one) and the shape (a
  first year at about twice the later level, and the anomalies), so the table runs at about 35-45
  a month per PCN in the first year and about 20 after.
- People: about 60% female, ~20% minority ethnic (PCN2 far more diverse, with interpreter
  needs), 3.6% aged 65 or over at referral, the largest group 25-44; a few re-referrals, some
  within the tenant's 90-day window (linked to the discharged referral, reopening its episode).
- The 278 people community connectors saw (120 male, 158 female, ages after the evaluation's
  Table 2 scaled to 278) and the 305 onward referrals to the six VCSE partners with their gender
  split and the support each delivered (Table 3), as exact counts.
- Everything is closed by 30 Sep 2022: a May 2022 snapshot still has open referrals and a
  waiting list, but nothing from the history is open today.

Leeds gets a smaller history for its three hubs, from their go-live (autumn 2023) to a fixed end
(``LEEDS_END``, about two months before the demo's "today"), by a stated rule rather than a
table.

Deterministic: every random choice comes from ``random.Random`` seeded with the seed, the slug and
the phase, never from the clock or the global generator.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from caseload.codes import TOOLS, OutcomeTool
from pcns import demo_data
from pcns.demo import demo_id
from referrals.demo import POSTCODES
from referrals.validators import nhs_number_check_digit

LONDON = ZoneInfo("Europe/London")
ONE_DAY = dt.timedelta(days=1)

#: The kinds of record this module makes, in the order the importer reads them.
KINDS: tuple[str, ...] = (
    "services", "people", "referrals", "contacts", "assessments", "care_plans",
    "interventions", "outcome_measures", "onward_referrals", "vcse_contacts",
)

#: The columns written for each kind (a subset of docs/data-formats.md, every row has them all).
COLUMNS: dict[str, tuple[str, ...]] = {
    "services": (
        "id", "organisation_id", "name", "description", "categories", "eligibility", "area_ids",
        "area_note", "is_open", "capacity_note", "is_published", "email", "phone", "website",
        "address",
    ),
    "people": (
        "id", "nhs_number", "nhs_number_missing_reason", "given_name", "family_name",
        "date_of_birth", "sex", "gender", "ethnicity", "postcode", "lsoa_code", "imd_decile",
        "registered_practice_id", "interpreter_needed", "language", "phone", "email", "address",
        "preferred_contact_method",
    ),
    "referrals": (
        "id", "person_id", "team_id", "source", "referrer_name", "referrer_organisation_id",
        "received_on", "entered_at", "entered_by_id", "urgency", "presenting_needs", "reason",
        "status", "triaged_on", "triaged_by_id", "redirect_destination", "rejection_reason",
        "decision_note", "mdt_note", "worker_id", "joint_worker_ids", "allocated_on",
        "discharged_on", "discharge_reason", "discharge_destination", "discharge_note",
        "previous_referral_id", "episode_id",
    ),
    "contacts": (
        "id", "referral_id", "team_id", "staff_id", "staff_role", "on", "at",
        "duration_minutes", "mode", "attendance", "direct", "purpose", "note", "recorded_by_id",
        "recorded_at",
    ),
    "assessments": (
        "id", "referral_id", "kind", "assessed_on", "assessor_id", "contact_id", "summary",
        "risk_summary", "recorded_by_id", "recorded_at",
    ),
    "care_plans": (
        "id", "referral_id", "version", "goals", "co_produced_with", "agreed_on",
        "review_trigger", "review_by", "safety_plan", "recorded_by_id", "recorded_at",
    ),
    "interventions": (
        "id", "referral_id", "kind", "description", "started_on", "ended_on", "delivered_by_id",
        "contact_id", "recorded_by_id", "recorded_at",
    ),
    "outcome_measures": (
        "id", "referral_id", "tool", "completed_on", "items", "wants_more_help", "contact_id",
        "recorded_by_id", "recorded_at",
    ),
    "onward_referrals": (
        "id", "referral_id", "service_id", "sent_on", "sent_by_id", "reason", "needs", "status",
        "responded_on", "responded_by_id", "decline_reason", "decline_note", "closed_on",
        "outcome", "outcome_note", "consent_given_by", "consent_given_by_name",
        "consent_given_on", "consent_purpose", "consent_expires_on", "consent_includes_risk",
    ),
    "vcse_contacts": (
        "id", "onward_referral_id", "staff_id", "on", "mode", "attendance", "duration_minutes",
        "support_types", "note", "recorded_by_id", "recorded_at",
    ),
}

# =================================================================================================
# Reference figures
# =================================================================================================

# --- Sheffield: the evaluation (University of Sheffield, July 2022), "Programme Activity" -------

SHEFFIELD_FIRST_DAY = dt.date(2020, 6, 1)
SHEFFIELD_INTAKE_END = dt.date(2022, 5, 31)
#: Everything in the history has happened, and every referral is closed, by this day.
SHEFFIELD_END = dt.date(2022, 9, 30)
SHEFFIELD_TOTAL_REFERRALS = 2692

#: Referrals received per PCN team and month, Jun 2020 - May 2022 (Figures 2 and 3). June 2020 is
#: part of a month: the PCNs went live from 16 to 29 June. PCN1: dip in Jan-Feb 2021 while a post
#: was vacant; Jan-Feb 2022 as received (the March spike is by entry date, see PCN1_BACKLOG).
#: PCN2: intake paused 2 Aug - 29 Oct 2021 and from 17 Jan 2022 (pcns/demo_data.py); historically
#: the busiest. See the module docstring for why the levels are lower than the report's.
SHEFFIELD_REFERRALS: dict[str, tuple[int, ...]] = {
    #              2020                        2021                                     2022
    #              Jun Jul Aug Sep Oct Nov Dec Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec
    #              Jan Feb Mar Apr May
    "pcn1-team": (18, 38, 37, 39, 40, 38, 35, 16, 14, 39, 39, 41, 38, 21, 20, 22, 23, 21, 19,
                  27, 28, 22, 21, 22),
    "pcn2-team": (21, 44, 43, 45, 43, 42, 40, 42, 41, 44, 43, 45, 44, 23, 0, 0, 0, 24, 20,
                  11, 0, 0, 22, 23),
    "pcn3-team": (12, 37, 38, 36, 39, 37, 34, 36, 35, 38, 37, 39, 36, 22, 21, 20, 22, 23, 20,
                  21, 22, 23, 21, 22),
    "pcn4-team": (4, 36, 37, 35, 38, 36, 33, 35, 34, 37, 36, 38, 35, 21, 20, 22, 21, 22, 19,
                  20, 21, 22, 20, 21),
}
SHEFFIELD_MONTHS: tuple[tuple[int, int], ...] = tuple(
    (2020 + (5 + n) // 12, (5 + n) % 12 + 1) for n in range(24)
)

#: PCN1's backlog: referrals received in these months were typed in during these days of March
#: 2022 ("new referrals not being processed in January/February 2022").
PCN1_BACKLOG = {
    "team": "pcn1-team",
    "received": (dt.date(2022, 1, 1), dt.date(2022, 2, 28)),
    "entered": (dt.date(2022, 3, 1), dt.date(2022, 3, 18)),
}

#: Longer waits for allocation and a first appointment (factor on the usual days), by team and
#: month received: PCN2's backlog before its pause, the PCN1 vacancy, PCN2's vacancy in 2022.
SHEFFIELD_WAIT_FACTORS: dict[tuple[str, int, int], float] = {
    ("pcn1-team", 2021, 1): 1.5, ("pcn1-team", 2021, 2): 1.5,
    ("pcn2-team", 2021, 5): 1.6, ("pcn2-team", 2021, 6): 2.0, ("pcn2-team", 2021, 7): 2.4,
    ("pcn2-team", 2022, 1): 1.8,
}

# --- Sheffield: Table 2 (community connector activity) and Table 3 (VCSE activity) ------------

#: People seen by community connectors, Jun 2020 - Mar 2022.
CONNECTOR_WINDOW = (dt.date(2020, 6, 1), dt.date(2022, 3, 31))
CONNECTOR_PEOPLE = 278
CONNECTOR_GENDERS = {"male": 120, "female": 158}
#: Table 2 gives ages for 270 of the 278 people; we scale them to 278 (largest remainder).
CONNECTOR_AGES_TABLE: dict[tuple[int, int | None], int] = {
    (18, 29): 78, (30, 39): 65, (40, 49): 51, (50, 59): 40, (60, None): 36,
}

#: Onward referrals Jun 2020 - May 2022 by partner (report pseudonyms VCSE1-6) and gender.
ONWARD_WINDOW = (dt.date(2020, 6, 1), dt.date(2022, 5, 31))
SHEFFIELD_ONWARD: dict[str, dict[str, int]] = {
    "advice": {"male": 60, "female": 75},                    # VCSE1
    "ageuk": {"male": 26, "female": 27},                     # VCSE2
    "garden": {"male": 17, "female": 32},                    # VCSE3
    "boxing": {"male": 11, "female": 4},                     # VCSE4
    "sacmha": {"male": 24, "female": 18, "not_stated": 2},   # VCSE5
    "skills": {"male": 3, "female": 6},                      # VCSE6
}
#: Support delivered (attended VCSE contacts giving each type), Table 3. Where the table names a
#: type without a number (VCSE4, VCSE6), the numbers are ours, small and plausible.
SHEFFIELD_SUPPORT: dict[str, dict[str, int]] = {
    "advice": {"debt_advice": 18, "welfare_benefits": 95, "other": 7},
    "ageuk": {"holistic_needs": 46, "welfare_benefits": 47, "housing": 26, "caring": 11,
              "physical_health": 51, "fuel_poverty": 22},
    "garden": {"volunteering": 40, "community_garden": 31, "social_groups": 49,
               "walk_and_talk": 29},
    "boxing": {"physical_health": 34, "debt_advice": 5, "personal_development": 12},
    "sacmha": {"physical_health": 28, "community_garden": 11, "walk_and_talk": 25,
               "personal_development": 39},
    "skills": {"employment": 7, "volunteering": 5, "social_groups": 6, "physical_health": 3},
}

# --- Leeds: the briefing (June 2023); hubs live from autumn 2023 -------------------------------

#: The history ends here (about two months before the demo's "today", 23 Nov 2026) with
#: everything closed; referrals are received until a month before.
LEEDS_END = dt.date(2026, 9, 30)
LEEDS_INTAKE_END = dt.date(2026, 8, 31)
#: Rule for Leeds: each hub receives 15-25 referrals a full month (uniform), from its go-live;
#: the go-live month gets its share by open days.
LEEDS_MONTHLY = (15, 25)
#: Share of accepted, engaged Leeds referrals referred on, and where to.
LEEDS_ONWARD_SHARE = 0.06
LEEDS_ONWARD_PARTNERS = {"leeds-mind": 45, "harebell": 35, "lip": 20}
LEEDS_CONNECTOR_SHARE = 0.12

# --- Both ---------------------------------------------------------------------------------------

#: Gender of people referred: "around 60% female" (Figure 4).
GENDER_SHARES = {"female": 0.60, "male": 0.385, "not_stated": 0.01, "non_binary": 0.005}
#: Age at referral, by the metrics' equality bands (METRICS.md EQ01): 3.6% aged 65 or over, the
#: largest group 25-44 (Figure 4).
AGE_BANDS: dict[str, tuple[int, int]] = {
    "18-24": (18, 24), "25-44": (25, 44), "45-64": (45, 64), "65+": (65, 92),
}
AGE_SHARES = {"18-24": 0.21, "25-44": 0.46, "45-64": 0.294, "65+": 0.036}
#: Re-referrals: within the 90-day window of a discharge (the episode reopens), and later ones.
RE_REFERRALS = {"sheffield": (45, 30), "leeds": (30, 20)}
RE_REFERRAL_WINDOW_DAYS = 90
#: Days with no referrals or appointments, besides weekends.
CLOSED_DAYS = {(12, 25), (12, 26), (1, 1)}

# --- The VCSE directory (moved here from vcse/demo.py) -----------------------------------------

#: Organisation key -> its services: (name, categories, eligibility, description). Sheffield's
#: partners offer the support types Table 3 gives each of them.
DIRECTORY: dict[str, dict[str, list[tuple[str, list[str], str, str]]]] = {
    "sheffield": {
        "mind": [
            ("Community support and peer groups",
             ["peer_support", "social_groups", "personal_development"],
             "Adults in Sheffield living with their mental health.",
             "Weekly peer groups, one-to-one support and a wellbeing programme."),
        ],
        "sacmha": [
            ("Community wellbeing service",
             ["physical_health", "community_garden", "walk_and_talk", "personal_development",
              "social_groups", "peer_support"],
             "Adults of African and Caribbean heritage, and their families.",
             "Culturally informed support: health training and social prescribing, a community "
             "garden, walk and talk, and one-to-one personal development sessions."),
        ],
        "ageuk": [
            ("Holistic support for older people",
             ["holistic_needs", "welfare_benefits", "housing", "caring", "physical_health",
              "fuel_poverty"],
             "People aged 50 and over, and their carers.",
             "A holistic needs assessment, a full benefits check, and help with housing, "
             "caring, keeping warm and keeping well."),
        ],
        "advice": [
            ("Debt and welfare advice", ["debt_advice", "welfare_benefits", "other"],
             "Adults in Sheffield; no other criteria.",
             "Debt advice, social welfare advice (benefits, bills, appeals) and other advice."),
        ],
        "garden": [
            ("Garden and walk and talk groups",
             ["community_garden", "walk_and_talk", "social_groups", "volunteering"],
             "Adults who can get to the garden; the walks are step-free.",
             "A garden self-care group, walk and talk sessions, social groups and "
             "volunteering."),
        ],
        "boxing": [
            ("Exercise and personal development",
             ["physical_health", "personal_development", "debt_advice"],
             "Adults of any fitness; no experience needed.",
             "Non-contact boxing fitness sessions, personal development planning and debt "
             "support."),
        ],
        "skills": [
            ("Learning, volunteering and employment",
             ["employment", "volunteering", "social_groups", "physical_health"],
             "Adults looking to learn, volunteer or get back to work.",
             "Training and education, volunteering and employment support, hobby groups and "
             "activities for physical health."),
        ],
    },
    "leeds": {
        "leeds-mind": [
            ("Recovery and employment support",
             ["employment", "peer_support", "personal_development"],
             "Adults in Leeds.", "Peer support, recovery courses and help into work."),
        ],
        "lip": [
            ("Peer involvement", ["peer_support", "volunteering"],
             "Adults in Leeds who want to have their say and help others.",
             "Peer involvement groups and volunteering."),
        ],
        "harebell": [
            ("Community wellbeing connectors",
             ["social_groups", "walk_and_talk", "holistic_needs"],
             "Adults in Leeds.", "Connectors who help people find local groups and activities."),
        ],
    },
}
#: Drama-reserved phone ranges (Ofcom), so no demo number rings anyone.
PHONE_PREFIX = {"sheffield": "0114 496 0", "leeds": "0113 496 0"}

# =================================================================================================
# Who is referred: per-team profiles
# =================================================================================================


@dataclass(frozen=True)
class TeamProfile:
    """What the people a team sees look like: where they live, their ethnic mix (NHS ethnic
    category weights) and languages, and how young (``youth`` nudges people to younger bands)."""

    districts: tuple[str, ...]
    ethnicity: dict[str, float]
    interpreter: float = 0.0  # share of minority-ethnic people who need an interpreter
    youth: float = 0.0
    deprived: bool = False  # favour postcodes in the most deprived deciles
    no_nhs_number: float = 0.0


PROFILES: dict[str, dict[str, TeamProfile]] = {
    "sheffield": {
        # PCN1: mostly students, younger, some international students.
        "pcn1-team": TeamProfile(
            districts=("S1", "S3", "S10", "S11"),
            ethnicity={"A": 73, "B": 1, "C": 7, "D": 1, "F": 2, "G": 1, "H": 3, "J": 2, "L": 1,
                       "N": 2, "R": 4, "S": 1, "Z": 1.5, "99": 0.5},
            interpreter=0.03, youth=0.35),
        # PCN2: very diverse, many with interpreter needs, asylum seekers.
        "pcn2-team": TeamProfile(
            districts=("S2", "S4", "S8", "S9"),
            ethnicity={"A": 40, "C": 8, "D": 2, "E": 1, "H": 1, "J": 17, "K": 4, "L": 2,
                       "M": 3, "N": 10, "P": 1, "S": 8, "Z": 2.5, "99": 0.5},
            interpreter=0.35, no_nhs_number=0.015),
        # PCN3: high deprivation.
        "pcn3-team": TeamProfile(
            districts=("S5", "S6", "S35"),
            ethnicity={"A": 86, "B": 1, "C": 3, "D": 1.5, "F": 1, "J": 1.5, "M": 1, "N": 1,
                       "S": 1, "Z": 2.5, "99": 0.5},
            deprived=True),
        # PCN4: white working-class area with deprivation and unemployment.
        "pcn4-team": TeamProfile(
            districts=("S13", "S9", "S2"),
            ethnicity={"A": 88, "B": 1, "C": 3, "D": 1, "J": 1, "M": 1, "N": 1, "S": 0.5,
                       "Z": 3, "99": 0.5},
            deprived=True),
    },
    "leeds": {
        # HATCH: Chapeltown, Harehills, Burmantofts and Richmond Hill.
        "hub-hatch": TeamProfile(
            districts=("LS7", "LS8", "LS9"),
            ethnicity={"A": 44, "C": 9, "D": 4, "E": 1, "H": 2, "J": 12, "K": 3, "L": 2,
                       "M": 7, "N": 9, "P": 2, "S": 3, "Z": 1.5, "99": 0.5},
            interpreter=0.25, no_nhs_number=0.01),
        # Leeds Student Medical Practice and the Light: students and the city centre.
        "hub-lsmp": TeamProfile(
            districts=("LS2", "LS6", "LS11"),
            ethnicity={"A": 68, "B": 1, "C": 7, "D": 1, "F": 2, "H": 3, "J": 3, "L": 2, "N": 3,
                       "R": 6, "S": 2, "Z": 1.5, "99": 0.5},
            interpreter=0.05, youth=0.35),
        "hub-west": TeamProfile(
            districts=("LS12", "LS13", "LS28"),
            ethnicity={"A": 84, "B": 1, "C": 4, "D": 1.5, "J": 2, "M": 1, "N": 1.5, "S": 1,
                       "Z": 3.5, "99": 0.5},
            deprived=True),
    },
}

# =================================================================================================
# Made-up names, words and notes
# =================================================================================================

NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "british": {
        "female": ("Amy", "Bethany", "Chloe", "Danielle", "Emma", "Gemma", "Hannah", "Jade",
                   "Karen", "Laura", "Leanne", "Lisa", "Megan", "Natalie", "Rachel", "Sarah",
                   "Sophie", "Stacey", "Tracey", "Zoe", "Abigail", "Ellie", "Jessica", "Kirsty"),
        "male": ("Aaron", "Adam", "Ben", "Callum", "Craig", "Daniel", "Dean", "Gary", "Jack",
                 "James", "Jordan", "Kieran", "Lee", "Liam", "Mark", "Matthew", "Nathan",
                 "Paul", "Ryan", "Scott", "Shaun", "Steven", "Thomas", "Wayne"),
        "family": ("Allen", "Bailey", "Barker", "Booth", "Bradshaw", "Clarke", "Cooper",
                   "Dawson", "Ellis", "Fletcher", "Gibson", "Hartley", "Hill", "Holmes",
                   "Jackson", "Kay", "Lockwood", "Marsh", "Mellor", "Newton", "Parkin",
                   "Priestley", "Robinson", "Senior", "Shaw", "Sykes", "Turner", "Walker",
                   "Wilson", "Wood", "Wragg", "Wright"),
    },
    "european": {
        "female": ("Agnieszka", "Katarzyna", "Marta", "Ioana", "Zuzana", "Jana", "Monika",
                   "Elena", "Aoife", "Siobhan"),
        "male": ("Piotr", "Tomasz", "Marek", "Andrei", "Lukas", "Milan", "Jakub", "Florin",
                 "Ciaran", "Declan"),
        "family": ("Novak", "Horvath", "Dudas", "Popescu", "Kowal", "Balog", "Ionescu",
                   "Kovacs", "Murphy", "Byrne", "Lacko", "Wojcik"),
    },
    "south_asian": {
        "female": ("Ayesha", "Fatima", "Saima", "Nusrat", "Shazia", "Priya", "Anjali",
                   "Rubina", "Sadia", "Tahmina", "Farzana", "Kiran"),
        "male": ("Imran", "Asif", "Bilal", "Raheel", "Farhan", "Sanjay", "Tariq", "Zubair",
                 "Shahid", "Arif", "Rajesh", "Kamran"),
        "family": ("Ahmed", "Akhtar", "Ali", "Hussain", "Iqbal", "Khan", "Mahmood", "Patel",
                   "Mistry", "Rahman", "Uddin", "Bibi", "Malik", "Sharma"),
    },
    "african": {
        "female": ("Amina", "Hodan", "Fadumo", "Grace", "Blessing", "Ngozi", "Selam",
                   "Ifeoma", "Nasra", "Abeba"),
        "male": ("Abdi", "Mohamed", "Yonas", "Kwame", "Emeka", "Tesfaye", "Ahmed", "Samuel",
                 "Chidi", "Dawit"),
        "family": ("Warsame", "Farah", "Mohamud", "Okafor", "Mensah", "Haile", "Tesfay",
                   "Adeyemi", "Osei", "Abdullahi", "Nwosu", "Gebre"),
    },
    "caribbean": {
        "female": ("Marcia", "Jasmine", "Shanice", "Maxine", "Tanya", "Claudette", "Paulette",
                   "Keisha"),
        "male": ("Delroy", "Winston", "Marlon", "Jermaine", "Andre", "Errol", "Leon",
                 "Courtney"),
        "family": ("Campbell", "Brown", "Williams", "Francis", "Thompson", "Grant", "Reid",
                   "Morgan", "Bailey", "Henry", "Richards", "Stewart"),
    },
    "east_asian": {
        "female": ("Mei", "Xin", "Lina", "Yan", "Hui", "Jing"),
        "male": ("Wei", "Jun", "Hao", "Ming", "Lei", "Chen"),
        "family": ("Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Huang", "Zhao"),
    },
    "middle_eastern": {
        "female": ("Layla", "Noor", "Rania", "Shirin", "Hana", "Yasmin", "Dilan", "Zahra"),
        "male": ("Omar", "Karim", "Reza", "Hassan", "Yousef", "Ali", "Saman", "Khalid"),
        "family": ("Saleh", "Hassan", "Karimi", "Rashid", "Mahmoud", "Aziz", "Haddad",
                   "Ahmadi", "Nasser", "Qasim"),
    },
}
#: Ethnic category -> which names, and the languages someone needing an interpreter might speak.
NAME_GROUP = {
    "A": "british", "B": "european", "C": "european", "D": "caribbean", "E": "african",
    "F": "british", "G": "british", "H": "south_asian", "J": "south_asian", "K": "south_asian",
    "L": "south_asian", "M": "caribbean", "N": "african", "P": "african", "R": "east_asian",
    "S": "middle_eastern", "Z": "british", "99": "british",
}
LANGUAGES = {
    "C": ("Slovak", "Czech", "Polish", "Romanian"), "H": ("Punjabi", "Gujarati"),
    "J": ("Urdu", "Punjabi"), "K": ("Bengali", "Sylheti"), "L": ("Tamil", "Pashto"),
    "N": ("Somali", "Tigrinya", "Arabic", "Amharic"), "E": ("French",), "P": ("French",),
    "R": ("Mandarin", "Cantonese"), "S": ("Arabic", "Kurdish", "Farsi"),
}
STREETS = {
    "sheffield": ("Forge Lane", "Cutlers Walk", "Steelworks Road", "Ridgeway Close",
                  "Millrace View", "Brook Hill Terrace", "Kelham Row", "Quarry Bank",
                  "Hollin Street", "Crucible Way", "Don Valley Road", "Rivelin Crescent"),
    "leeds": ("Weavers Court", "Kirkstall Row", "Aire View", "Chapel Grove", "Harehills Walk",
              "Canal Wharf Street", "Bramley Rise", "Roundhay Terrace", "Mill Pond Lane",
              "Spinners Close", "Headingley Mount", "Civic Mews"),
}
CITY = {"sheffield": "Sheffield", "leeds": "Leeds"}
SECONDARY_CARE = {
    "sheffield": "Sheffield Health and Social Care community mental health team",
    "leeds": "Leeds and York Partnership community mental health team",
}
TALKING_THERAPIES = {"sheffield": "Sheffield Talking Therapies", "leeds": "Leeds Mental Wellbeing "
                                                                           "Service"}
POLICE = {"sheffield": "South Yorkshire Police", "leeds": "West Yorkshire Police"}

NEEDS: dict[str, float] = {
    "low_mood": 30, "anxiety": 30, "trauma": 8, "complex_emotional": 7, "self_harm": 4,
    "suicidal_thoughts": 4, "bereavement": 5, "isolation": 6, "money": 6, "housing": 4,
    "employment": 4, "physical_health": 4, "medication": 3, "substance_use": 3,
    "neurodevelopmental": 3, "eating": 2, "ocd": 2, "psychosis": 2, "bipolar": 2,
    "carer_stress": 3,
}
NEED_PHRASES = {
    "low_mood": "low mood for several months", "anxiety": "anxiety and panic",
    "trauma": "flashbacks after past trauma", "complex_emotional": "intense, changeable emotions",
    "self_harm": "recent self-harm", "suicidal_thoughts": "passing thoughts of ending their life",
    "bereavement": "grief after a recent loss", "isolation": "loneliness since moving here",
    "money": "debt and benefit worries", "housing": "insecure housing",
    "employment": "struggling to stay in work", "physical_health": "long-term pain and tiredness",
    "medication": "questions about their medication", "substance_use": "drinking more to cope",
    "neurodevelopmental": "possible ADHD and difficulty organising day to day",
    "eating": "restricting what they eat", "ocd": "checking and intrusive thoughts",
    "psychosis": "hearing voices at times", "bipolar": "mood swings with periods of high energy",
    "carer_stress": "the strain of caring for a relative",
}
REASON_ENDINGS = (
    "asking for support", "GP has started medication", "finding it hard to leave the house",
    "sleep badly affected", "would like to talk to someone", "previous talking therapy helped a "
    "little", "family worried about them", "off work at present",
)
GOALS = {
    "low_mood": "Get up at the same time most days", "anxiety": "Go to the shops on my own",
    "trauma": "Feel safe at home", "complex_emotional": "Use my coping plan when things build up",
    "self_harm": "Go a month without hurting myself", "suicidal_thoughts": "Know who to call "
    "when it gets bad", "bereavement": "Visit the grave with my sister",
    "isolation": "Join one group", "money": "Sort out the debt letters with support",
    "housing": "Get my housing sorted", "employment": "Talk to my manager about going back",
    "physical_health": "Walk for twenty minutes a day", "medication": "Understand my medication",
    "substance_use": "Drink on fewer days", "neurodevelopmental": "Use a planner every day",
    "eating": "Eat three meals a day", "ocd": "Cut down the checking before leaving the house",
    "psychosis": "Notice early signs and tell someone", "bipolar": "Keep a mood diary",
    "carer_stress": "Get a break from caring once a week",
}
ASSESSMENT_OPENINGS = (
    "Described {needs}.", "Presents with {needs}.", "Talked about {needs}.",
)
ASSESSMENT_CONTEXT = (
    "Supportive friend nearby; sleep poor.", "Lives alone; keen to get out more.",
    "Working part time; finding it hard to cope.", "Caring for children; little time for self.",
    "Recently moved; few people around.", "Good family support; wants practical help.",
)
RISK_SUMMARIES = (
    "No current thoughts of self-harm. Knows how to get urgent help.",
    "Occasional thoughts of not wanting to be here, no plans or intent. Safety plan agreed.",
    "No risk to self or others identified. Protective factors: family and faith.",
    "Past self-harm, none for over a year. Safety plan reviewed together.",
)
REVIEW_TRIGGERS = (
    "If sleep or mood gets worse, or money worries grow",
    "If the person asks, or misses two appointments",
    "After six sessions, or sooner if risk changes",
    "If things at home change",
)
SAFETY_PLAN = {
    "sheffield": "Call NHS 111 (option 2) any time for urgent mental health help; call 999 in "
                 "an emergency. Sheffield Crisis Line for support out of hours.",
    "leeds": "Call NHS 111 (option 2) any time for urgent mental health help; call 999 in an "
             "emergency. Leeds Survivor Led Crisis Service for support out of hours.",
}
INTERVENTIONS = {
    "psychological_therapy": ("Brief CBT for low mood and anxiety",
                              "Behavioural activation", "Compassion-focused therapy sessions",
                              "Trauma-informed stabilisation work"),
    "psychosocial": ("Problem-solving and daily routine planning",
                     "Anxiety management and relaxation", "Structured activity scheduling"),
    "medication_physical_health": ("Medication review", "Physical health check and healthy "
                                   "lifestyle coaching", "Sleep and activity coaching"),
    "community_connection": ("Linked to local groups and activities",
                             "Help to find a local walking group and advice service"),
    "peer_support": ("Peer support sessions",),
}
#: The intervention each role delivers (connectors and peer support workers: non-clinical).
ROLE_INTERVENTION = {
    "mhp": "psychosocial", "clinical_lead": "psychosocial", "psychologist": "psychological_therapy",
    "psychotherapist": "psychological_therapy", "cap": "psychological_therapy",
    "trainee_cap": "psychological_therapy", "occupational_therapist": "psychosocial",
    "pharmacist": "medication_physical_health", "health_coach": "medication_physical_health",
    "connector": "community_connection", "peer_support": "peer_support",
}
#: Who may be named worker, and how likely (per team the member works in).
WORKER_WEIGHTS = {
    "mhp": 3.0, "psychologist": 2.0, "psychotherapist": 2.0, "cap": 2.5, "trainee_cap": 2.5,
    "occupational_therapist": 1.2, "pharmacist": 0.6, "health_coach": 1.0, "clinical_lead": 0.5,
}
PRACTITIONER_ROLES = frozenset(ROLE_INTERVENTION) - {"connector", "peer_support"}
#: Who does a first assessment themselves; other named workers (connectors, health coaches,
#: pharmacists) have it done by one of the team's mental health practitioners.
ASSESSING_ROLES = frozenset({"mhp", "clinical_lead", "psychologist", "psychotherapist", "cap",
                             "trainee_cap", "occupational_therapist"})
CONTACT_NOTES = {
    "dna": "Did not attend; text and letter sent offering a new appointment.",
    "cancelled_by_patient": "Cancelled by the person; rebooked.",
    "cancelled_by_provider": "Cancelled by us (staff sickness); rebooked.",
}
SOURCES = {
    "gp": 62, "self": 8, "direct_booking": 8, "talking_therapies": 6, "secondary_care": 6,
    "vcse": 4, "carer": 3, "other_agency": 2, "police": 1,
}
REJECTIONS = {
    "not_eligible": ("Needs are for a service we do not offer; advice given to the GP.", 40),
    "insufficient_information": ("Not enough information to triage; asked the referrer for "
                                 "more and none came.", 20),
    "declined": ("Spoke to the person: they did not want the referral at this time.", 25),
    "not_registered": ("Not registered with a practice the team covers.", 12),
    "other": ("Referred to us in error by the practice; closed with their agreement.", 3),
}
REDIRECTS = {
    "talking_therapies": ("Better suited to talking therapies; warm handover agreed.", 50),
    "secondary_care": ("Needs a secondary care assessment; discussed with the community "
                       "mental health team.", 20),
    "vcse": ("Mainly practical needs: passed to a VCSE partner with consent.", 15),
    "crisis": ("Urgent risk: handed over to the crisis team the same day.", 5),
    "other": ("Passed to the drug and alcohol service with consent.", 10),
}
MDT_NOTES = (
    "Complex history: discussed at the MDT to agree the best route.",
    "Several services involved before: MDT to agree who leads.",
    "Unclear whether primary or secondary care fits best: MDT discussion.",
)
DISCHARGES = {
    "goals_met": ("", 68), "stepped_down": ("", 9), "stepped_up": ("", 6), "declined": ("", 8),
    "moved_away": ("", 6), "other": ("Ended at the person's request to pause support; they "
                                     "know how to come back.", 3),
}
ONWARD_REASONS = {
    "advice": "Money worries are making things worse; would like help with debts and benefits.",
    "ageuk": "Struggling at home; would like a benefits check and help with heating and housing.",
    "garden": "Lonely and low; keen to be outdoors and meet people.",
    "boxing": "Wants to get fitter and into a routine; likes a challenge.",
    "sacmha": "Would like culturally informed support and something active to do.",
    "skills": "Would like to learn something new and think about volunteering or work.",
    "leeds-mind": "Would like peer support and help thinking about work.",
    "lip": "Wants to use their experience to help others and have a say.",
    "harebell": "Would like help finding local groups and activities.",
}
DECLINES = {"no_capacity": 3, "not_eligible": 2, "person_declined": 3, "no_contact": 3,
            "better_elsewhere": 1}
CLOSE_NOTES = {
    "completed": "Finished our one-to-one support; they know they can come back.",
    "ongoing": "Carrying on with the group on their own.",
    "referred_on": "Referred on to a specialist service for the next step.",
    "person_ended": "Decided they had what they needed for now.",
    "disengaged": "Could not reach them after several tries.",
}
GROUP_TYPES = frozenset({"social_groups", "walk_and_talk", "community_garden", "volunteering"})

# =================================================================================================
# Small helpers
# =================================================================================================


def _cell(value: Any) -> str:
    """A value as it appears in a CSV cell of the format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, list | tuple):
        return "|".join(_cell(item) for item in value)
    return str(value)


def _row(table: str, /, **values: Any) -> dict[str, str]:
    """A row of ``table`` with every column of COLUMNS, empty where ``values`` has none."""
    unknown = set(values) - set(COLUMNS[table])
    if unknown:
        raise ValueError(f"{table}: unknown columns {sorted(unknown)}")
    return {column: _cell(values.get(column)) for column in COLUMNS[table]}


def _at(day: dt.date, minutes: int) -> dt.datetime:
    """Local (UK) time on ``day``, ``minutes`` after midnight, with its offset."""
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=LONDON)


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _open(day: dt.date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in CLOSED_DAYS


def _working_days_after(day: dt.date, count: int) -> dt.date:
    while count > 0 or not _open(day):
        day += ONE_DAY
        if _open(day):
            count -= 1
    return day


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(age: int) -> str:
    """The metrics' equality age band (METRICS.md EQ01) of an age of 18 or over."""
    return next(band for band, (low, high) in AGE_BANDS.items() if low <= age <= high or (
        band == "65+" and age >= low))


def _largest_remainder(shares: dict[str, float], total: int) -> dict[str, int]:
    """Whole counts in proportion to ``shares`` that add up to exactly ``total``."""
    weight = sum(shares.values())
    exact = {key: share * total / weight for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    short = total - sum(counts.values())
    for key in sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)[:short]:
        counts[key] += 1
    return counts


def connector_age_targets() -> dict[tuple[int, int | None], int]:
    """Table 2's age bands scaled from the 270 people it gives ages for to all 278."""
    scaled = _largest_remainder({str(band): n for band, n in CONNECTOR_AGES_TABLE.items()},
                                CONNECTOR_PEOPLE)
    return {band: scaled[str(band)] for band in CONNECTOR_AGES_TABLE}


def _spread(first: dt.date, last: dt.date, count: int) -> list[dt.date]:
    """``count`` dates from ``first`` to ``last``, evenly apart (squeezing a run into a limit)."""
    if count == 1:
        return [first]
    span = max((last - first).days, 0)
    return [first + dt.timedelta(days=span * n // (count - 1)) for n in range(count)]


# =================================================================================================
# The demo tenant, as the history sees it
# =================================================================================================


@dataclass(frozen=True)
class Member:
    """A member of a demo tenant's staff; ``id`` is the Membership's demo UUID."""

    id: str
    email: str
    first_name: str
    last_name: str
    role: str
    employer: str
    teams: tuple[str, ...]


class Place:
    """A demo tenant's organisations, teams and staff from pcns/demo_data.py, with their UUIDs."""

    def __init__(self, slug: str) -> None:
        spec = next((t for t in demo_data.TENANTS if t["slug"] == slug), None)
        if spec is None:
            raise ValueError(f"No demo tenant {slug!r}")
        self.slug = slug
        self.orgs: dict[str, dict] = {org["key"]: org for org in spec["organisations"]}
        self.teams: dict[str, dict] = {team["key"]: team for team in spec["teams"]}
        self.staff = sorted(
            (Member(id=str(demo_id(slug, "staff", p["email"])), email=p["email"],
                    first_name=p["first_name"], last_name=p["last_name"], role=p["role"],
                    employer=p.get("practice") or p["employer"], teams=tuple(p["teams"]))
             for p in spec["staff"]),
            key=lambda m: m.email,
        )

    def org_id(self, key: str) -> str:
        return str(demo_id(self.slug, "org", key))

    def team_id(self, key: str) -> str:
        return str(demo_id(self.slug, "team", key))

    def care_teams(self) -> list[str]:
        """The teams that receive referrals (PCN teams and hubs), in data order."""
        return [key for key, team in self.teams.items() if team["kind"] in {"pcn_team", "hub"}]

    def members(self, team: str, roles: Iterable[str] | None = None) -> list[Member]:
        wanted = set(roles) if roles is not None else None
        return [m for m in self.staff if team in m.teams and (wanted is None or m.role in wanted)]

    def pcns(self, team: str) -> list[str]:
        host = self.teams[team]["host"]
        if self.orgs[host]["kind"] == "pcn":
            return [host]
        return [key for key, org in self.orgs.items()
                if org["kind"] == "pcn" and org["parent"] == host]

    def practices(self, team: str) -> list[str]:
        pcns = set(self.pcns(team))
        return [key for key, org in self.orgs.items()
                if org["kind"] == "gp_practice" and org["parent"] in pcns]

    def go_live(self, team: str) -> dt.date:
        return min(self.orgs[pcn]["go_live_date"] for pcn in self.pcns(team))

    def pauses(self, team: str) -> list[tuple[dt.date, dt.date]]:
        """The team's intake pauses (its host PCN's): no referral is received inside one."""
        host = self.orgs[self.teams[team]["host"]]
        return [(start, end or dt.date.max) for start, end, _ in host.get("intake_pauses", [])]

    def vcse_staff(self, org: str) -> list[Member]:
        return [m for m in self.staff
                if m.employer == org and m.role in {"vcse_worker", "vcse_lead"}]


# =================================================================================================
# Plans: what each referral is to become
# =================================================================================================


@dataclass
class Person:
    """A person referred: the figures fix some people's gender and age before the rest are
    dealt out, so a person is built in steps and written as a row last."""

    index: int
    team: str
    first_received: dt.date
    gender: str = ""
    age: int | None = None  # at the first referral
    ethnicity: str = ""
    row: dict[str, str] = field(default_factory=dict)
    dob: dt.date | None = None


@dataclass
class Referral:
    """One referral: its fixed facts (team, dates), the part the reference figures give it
    (decided before its care is made) and, once made, what happened."""

    team: str
    received: dt.date
    entered: dt.datetime
    backlog: bool = False
    id: str = ""
    person: Person | None = None
    needs: list[str] = field(default_factory=list)
    # Re-referrals of one person to one team: within the window (the episode reopens) or later.
    reopens: Referral | None = None
    reopened_by: Referral | None = None
    returns_after: Referral | None = None
    returning_from: Referral | None = None
    latest_end: dt.date = dt.date.max
    earliest_end: dt.date | None = None
    connector: str = ""  # "", "worker" (the named worker) or "support" (alongside the worker)
    connector_by: dt.date | None = None  # a first connector contact on or before this day
    connector_from: dt.date | None = None  # connector contacts only from this day
    connector_gender: str = ""
    connector_ages: tuple[int, int | None] | None = None
    onward: str = ""  # the VCSE partner (organisation key) to refer on to
    onward_gender: str = ""
    status: str = ""
    discharged: dt.date | None = None
    worker: Member | None = None
    connector_member: Member | None = None
    first_attended: dt.date | None = None
    first_connector: dt.date | None = None
    row: dict[str, str] = field(default_factory=dict)

    @property
    def must_engage(self) -> bool:
        """Accepted and seen, whatever chance says: the figures or a re-referral need it."""
        return bool(self.connector or self.onward or self.returns_after or self.reopened_by)

    @property
    def free(self) -> bool:
        """Not yet given a part (nor in PCN1's backlog, whose dates are already unusual)."""
        return not (self.reopens or self.reopened_by or self.returns_after
                    or self.returning_from or self.connector or self.onward or self.backlog)


@dataclass
class Onward:
    """An onward referral, sent while the referral is open; ``tokens`` are the support types
    the partner's attended contacts will deliver."""

    referral: Referral
    partner: str
    sent_on: dt.date
    sent_by: Member
    id: str = ""
    accepted: bool = True
    tokens: list[str] = field(default_factory=list)


# =================================================================================================
# The generator
# =================================================================================================


@dataclass(frozen=True)
class Settings:
    """A tenant's history: when referrals arrive, when everything has closed, until when
    people are referred on, and its NHS number test range (one per tenant, so the two demo
    tenants and the current-intake demo never share a number)."""

    slug: str
    first_day: dt.date
    intake_end: dt.date
    end: dt.date
    onward_end: dt.date
    nhs_prefix: str


SETTINGS = {
    "sheffield": Settings("sheffield", SHEFFIELD_FIRST_DAY, SHEFFIELD_INTAKE_END, SHEFFIELD_END,
                          ONWARD_WINDOW[1], "9990"),
    "leeds": Settings("leeds", dt.date(2023, 10, 1), LEEDS_INTAKE_END, LEEDS_END,
                      LEEDS_INTAKE_END, "9991"),
}


def history_dataset(slug: str, *, seed: int = 2026) -> dict[str, list[dict[str, str]]]:
    """The history of demo tenant ``slug`` as rows of the import format, keyed by kind (in
    ``KINDS`` order). Every value is a string, exactly as it would be in the CSV file."""
    if slug not in SETTINGS:
        raise ValueError(f"No history for demo tenant {slug!r}")
    return _History(Place(slug), SETTINGS[slug], seed).build()


class _History:
    """Builds one tenant's rows in phases: the calendar of arrivals, the parts the reference
    figures give some referrals, the people, each referral's course, then the VCSE partners'
    answers. Each phase has its own random stream, so changing one leaves the others alone."""

    def __init__(self, place: Place, settings: Settings, seed: int) -> None:
        self.place = place
        self.settings = settings
        self.slug = place.slug
        self.seed = seed
        self.rows: dict[str, list[dict[str, str]]] = {kind: [] for kind in KINDS}
        self.services: dict[str, str] = {}  # partner organisation key -> service id
        self.categories: dict[str, list[str]] = {}
        self.referrals: list[Referral] = []
        self.people: list[Person] = []
        self.onwards: list[Onward] = []
        self.counters: Counter[str] = Counter()
        with POSTCODES.open(newline="") as handle:
            self.postcodes = list(csv.DictReader(handle))

    def rng(self, phase: str) -> random.Random:
        """The phase's own stream: seeded by seed, tenant and phase, never by the clock."""
        return random.Random(f"{self.seed}-{self.slug}-{phase}")  # noqa: S311 - made-up data

    def next_id(self, prefix: str, width: int = 5) -> str:
        self.counters[prefix] += 1
        return f"{prefix}{self.counters[prefix]:0{width}d}"

    def build(self) -> dict[str, list[dict[str, str]]]:
        self.make_services()
        self.make_calendar()
        self.mark_re_referrals()
        self.mark_connectors()
        self.mark_onward()
        self.make_people()
        care = self.rng("care")
        for referral in self.referrals:
            self.make_referral(care, referral)
        self.make_vcse()
        self.rows["people"] = [person.row for person in self.people]
        self.rows["referrals"] = [referral.row for referral in self.referrals]
        return self.rows

    # --- directory ------------------------------------------------------------------------

    def make_services(self) -> None:
        """The VCSE directory: one service per VCSE organisation (DIRECTORY)."""
        domain_of = {key: "".join(ch for ch in org["name"].lower() if ch.isalnum())[:20]
                     for key, org in self.place.orgs.items()}
        number = 0
        for org_key, services in DIRECTORY[self.slug].items():
            for index, (name, categories, eligibility, description) in enumerate(services, 1):
                service_id = f"SVC-{org_key}-{index}"
                self.services.setdefault(org_key, service_id)
                self.categories.setdefault(org_key, categories)
                domain = domain_of[org_key]
                self.rows["services"].append(_row(
                    "services", id=service_id, organisation_id=self.place.org_id(org_key),
                    name=name, description=description, categories=categories,
                    eligibility=eligibility, area_note=f"The whole of {CITY[self.slug]}",
                    is_open=True, is_published=True,
                    capacity_note="" if number % 3 else "About a three-week wait for "
                                                         "one-to-one support.",
                    email=f"referrals@{domain}.example.org",
                    phone=f"{PHONE_PREFIX[self.slug]}{100 + number:03d}",
                    website=f"https://{domain}.example.org"))
                number += 1

    # --- when referrals arrive ------------------------------------------------------------

    def monthly_counts(self, rng: random.Random, team: str) -> dict[tuple[int, int], int]:
        """Referrals received by ``team`` each month: Sheffield's table, Leeds's rule."""
        if self.slug == "sheffield":
            return dict(zip(SHEFFIELD_MONTHS, SHEFFIELD_REFERRALS[team], strict=True))
        counts = {}
        live = self.place.go_live(team)
        year, month = live.year, live.month
        while (year, month) <= (self.settings.intake_end.year, self.settings.intake_end.month):
            full = len(self.open_days(team, year, month, from_day=dt.date(year, month, 1)))
            have = len(self.open_days(team, year, month))
            counts[(year, month)] = round(rng.randint(*LEEDS_MONTHLY) * have / max(full, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return counts

    def open_days(self, team: str, year: int, month: int,
                  from_day: dt.date | None = None) -> list[dt.date]:
        """Days in the month the team could receive a referral: open, live, not paused."""
        first = max(dt.date(year, month, 1), from_day or self.place.go_live(team),
                    self.settings.first_day)
        last = min((dt.date(year + month // 12, month % 12 + 1, 1) - ONE_DAY),
                   self.settings.intake_end)
        pauses = self.place.pauses(team)
        days = []
        day = first
        while day <= last:
            if _open(day) and not any(start <= day <= end for start, end in pauses):
                days.append(day)
            day += ONE_DAY
        return days

    def make_calendar(self) -> None:
        """Every referral's team and dates, then ids in the order they arrived."""
        rng = self.rng("calendar")
        plans: list[Referral] = []
        for team in self.place.care_teams():
            for (year, month), count in self.monthly_counts(rng, team).items():
                days = self.open_days(team, year, month)
                if count and not days:
                    raise ValueError(f"{team} has {count} referrals in {year}-{month:02d} but "
                                     "no day open to receive them")
                for day in sorted(rng.choice(days) for _ in range(count)):
                    plans.append(self.arrival(rng, team, day))
        if self.slug == "sheffield" and len(plans) != SHEFFIELD_TOTAL_REFERRALS:
            raise ValueError(f"SHEFFIELD_REFERRALS adds up to {len(plans)}, not the "
                             f"evaluation's {SHEFFIELD_TOTAL_REFERRALS}")
        plans.sort(key=lambda r: (r.received, r.entered, r.team))
        for referral in plans:
            referral.id = self.next_id("R")
            referral.latest_end = self.settings.end
        self.referrals = plans

    def arrival(self, rng: random.Random, team: str, day: dt.date) -> Referral:
        """A referral received on ``day``, typed in then (or the next working day), except
        PCN1's backlog: nothing was typed in during Jan-Feb 2022, all of it in March."""
        entered_day = _working_days_after(day, 1) if rng.random() < 0.2 else day
        first, last = PCN1_BACKLOG["received"]
        backlog = self.slug == "sheffield" and team == PCN1_BACKLOG["team"] and (
            first <= entered_day <= last)
        if backlog:
            start, end = PCN1_BACKLOG["entered"]
            entered_day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
            entered_day = entered_day if _open(entered_day) else _working_days_after(
                entered_day, 1)
        entered = _at(entered_day, rng.randint(8 * 60 + 30, 17 * 60))
        return Referral(team=team, received=day, entered=entered, backlog=backlog)

    # --- marks ------------------------------------------------------------------------------

    def mark_re_referrals(self) -> None:
        """Pair earlier and later referrals of the same team into re-referrals of one person:
        some within the 90-day window (the later one reopens the episode), some long after."""
        rng = self.rng("re-referrals")
        within, later = RE_REFERRALS[self.slug]
        by_team: dict[str, list[Referral]] = defaultdict(list)
        for referral in self.referrals:
            by_team[referral.team].append(referral)
        candidates = [r for r in self.referrals if r.received >= self.settings.first_day
                      + dt.timedelta(days=260) and r.received <= self.settings.intake_end]
        rng.shuffle(candidates)
        made = {"within": 0, "later": 0}
        for second in candidates:
            kind = "within" if made["within"] < within else "later"
            if made[kind] >= (within if kind == "within" else later):
                break
            if not second.free:
                continue
            low, high = (45, 200) if kind == "within" else (240, 540)
            team = by_team[second.team]
            dates = [r.received for r in team]
            start = bisect.bisect_left(dates, second.received - dt.timedelta(days=high))
            stop = bisect.bisect_right(dates, second.received - dt.timedelta(days=low))
            options = [r for r in team[start:stop] if r.free]
            if not options:
                continue
            first = rng.choice(options)
            if kind == "within":
                first.reopened_by = second
                second.reopens = first
                first.latest_end = second.received - dt.timedelta(days=2)
                first.earliest_end = max(first.received + dt.timedelta(days=21),
                                         second.received - dt.timedelta(days=85))
            else:
                first.returns_after = second
                second.returning_from = first
                first.latest_end = second.received - dt.timedelta(
                    days=RE_REFERRAL_WINDOW_DAYS + 10)
            made[kind] += 1

    def mark_connectors(self) -> None:
        """Who community connectors see. Sheffield: exactly Table 2's people (gender and age)
        in its window, plus some after it; Leeds: a share of the hubs with a connector."""
        rng = self.rng("connectors")
        teams_with = {team for team in self.place.care_teams()
                      if self.place.members(team, ["connector"])}
        if self.slug == "sheffield":
            start, end = CONNECTOR_WINDOW
            pool = [r for r in self.referrals if r.free and r.team in teams_with
                    and start <= r.received <= end - dt.timedelta(days=40)]
            chosen = rng.sample(pool, CONNECTOR_PEOPLE)
            genders = [g for g, n in CONNECTOR_GENDERS.items() for _ in range(n)]
            ages = [band for band, n in connector_age_targets().items() for _ in range(n)]
            rng.shuffle(genders)
            rng.shuffle(ages)
            for referral, gender, ages_band in zip(chosen, genders, ages, strict=True):
                referral.connector = "worker" if rng.random() < 0.35 else "support"
                referral.connector_by = end
                referral.connector_gender = gender
                referral.connector_ages = ages_band
            late = [r for r in self.referrals if r.free and r.team in teams_with
                    and r.received >= end - dt.timedelta(days=10)]
            for referral in late:
                if rng.random() < 0.15:
                    referral.connector = "support"
                    referral.connector_from = end + ONE_DAY
            return
        for referral in self.referrals:
            if (referral.free and referral.team in teams_with
                    and rng.random() < LEEDS_CONNECTOR_SHARE):
                referral.connector = "worker" if rng.random() < 0.3 else "support"

    def mark_onward(self) -> None:
        """Who is referred on to which VCSE partner. Sheffield: Table 3's numbers by partner and
        gender, each a different person, some of them people the connectors saw; Leeds: a share
        of referrals."""
        rng = self.rng("onward")
        first, last = self.settings.first_day, self.settings.onward_end - dt.timedelta(days=51)
        eligible = [r for r in self.referrals if first <= r.received <= last]
        if self.slug == "leeds":
            for referral in eligible:
                if (referral.free or referral.connector) and rng.random() < LEEDS_ONWARD_SHARE:
                    referral.onward = _pick(rng, LEEDS_ONWARD_PARTNERS)
            return
        # Age UK first (its people are 50 or over), then the partner most tied to one PCN.
        for partner in ("ageuk", "sacmha", "advice", "garden", "boxing", "skills"):
            slots = [g for g, n in SHEFFIELD_ONWARD[partner].items() for _ in range(n)]
            rng.shuffle(slots)
            for gender in slots:
                referral = self.onward_candidate(rng, eligible, partner, gender)
                referral.onward = partner
                referral.onward_gender = gender

    def onward_candidate(self, rng: random.Random, eligible: list[Referral], partner: str,
                         gender: str) -> Referral:
        """Someone of ``gender`` for ``partner``: a third from the people the connectors saw
        (connectors refer on), the rest from referrals with no part yet."""

        def older(r: Referral) -> bool:
            return r.connector_ages is not None and r.connector_ages[0] >= 50

        from_connectors = [r for r in eligible if r.connector and not r.onward
                           and r.connector_gender == gender
                           and (partner != "ageuk" or older(r))]
        if from_connectors and gender != "not_stated" and rng.random() < 0.35:
            return rng.choice(from_connectors)
        others = [r for r in eligible if r.free and not r.onward]
        if partner == "sacmha" and rng.random() < 0.6:
            others = [r for r in others if r.team == "pcn2-team"] or others
        return rng.choice(others)

    # --- people -----------------------------------------------------------------------------

    def make_people(self) -> None:
        """One person per referral, except re-referrals (the earlier referral's person). Gender
        and age band follow exact quotas, after the people the figures fix."""
        rng = self.rng("people")
        for referral in self.referrals:
            source = referral.returning_from or referral.reopens
            if source is not None:
                referral.person = source.person
                continue
            person = Person(index=len(self.people), team=referral.team,
                            first_received=referral.received)
            person.gender = referral.connector_gender or referral.onward_gender
            if referral.connector_ages is not None:
                low, high = referral.connector_ages
                person.age = (rng.randint(low, high - 1) if high is not None
                              else rng.choices([rng.randint(60, 64), rng.randint(65, 79)],
                                               weights=[55, 45])[0])
            elif referral.onward == "ageuk":
                person.age = rng.choices([rng.randint(50, 64), rng.randint(65, 88)],
                                         weights=[65, 35])[0]
            referral.person = person
            self.people.append(person)
        self.deal_genders(rng)
        self.deal_ages(rng)
        used: set[str] = set()
        onward_of = {r.person.index: r.onward for r in self.referrals
                     if r.onward and r.person is not None}
        for person in self.people:
            self.fill_person(rng, person, used, onward_of.get(person.index, ""))

    def deal_genders(self, rng: random.Random) -> None:
        """Exact shares over everyone, after the genders Tables 2 and 3 fix."""
        targets = _largest_remainder(GENDER_SHARES, len(self.people))
        fixed = Counter(p.gender for p in self.people if p.gender)
        rest = []
        for gender, target in targets.items():
            rest += [gender] * max(target - fixed[gender], 0)
        open_people = [p for p in self.people if not p.gender]
        rest = (rest + ["female"] * len(open_people))[:len(open_people)]
        rng.shuffle(rest)
        for person, gender in zip(open_people, rest, strict=True):
            person.gender = gender

    def deal_ages(self, rng: random.Random) -> None:
        """Exact band shares over everyone, after the ages the figures fix; younger bands go
        to the teams with a young population (students) first."""
        targets = _largest_remainder(AGE_SHARES, len(self.people))
        fixed = Counter(age_band(p.age) for p in self.people if p.age is not None)
        open_people = [p for p in self.people if p.age is None]
        quotas = {band: max(targets[band] - fixed[band], 0) for band in AGE_BANDS}
        quotas["25-44"] += len(open_people) - sum(quotas.values())
        bands = [band for band in AGE_BANDS for _ in range(quotas[band])]
        profiles = PROFILES[self.slug]
        order = sorted(open_people, key=lambda p: -(rng.random() + profiles[p.team].youth))
        for person, band in zip(order, bands, strict=True):
            low, high = AGE_BANDS[band]
            if band == "45-64":
                person.age = rng.choices(range(low, high + 1),
                                         weights=[70 - a for a in range(low, high + 1)])[0]
            elif band == "65+":
                person.age = rng.choices(range(low, high + 1),
                                         weights=[(96 - a) ** 2 for a in range(low, high + 1)])[0]
            else:
                person.age = rng.randint(low, high)

    def fill_person(self, rng: random.Random, person: Person, used: set[str],
                    partner: str) -> None:
        """Ethnicity, names, birth date, address and contact details after the team's
        profile; SACMHA's people are of African or Caribbean heritage."""
        profile = PROFILES[self.slug][person.team]
        if partner == "sacmha":
            person.ethnicity = _pick(rng, {"M": 40, "N": 25, "P": 10, "D": 20, "E": 5})
        else:
            person.ethnicity = _pick(rng, profile.ethnicity)
        upper = _years_before(person.first_received, person.age)
        lower = _years_before(person.first_received, person.age + 1) + ONE_DAY
        person.dob = lower + dt.timedelta(days=rng.randint(0, (upper - lower).days))
        sex = (person.gender if person.gender in {"female", "male"}
               else rng.choice(["female", "male"]))
        names = NAMES[NAME_GROUP[person.ethnicity]]
        given = rng.choice(names[sex])
        family = rng.choice(names["family"])
        minority = person.ethnicity not in {"A", "B", "C", "Z", "99"}
        interpreter = (person.ethnicity in LANGUAGES and (minority or person.ethnicity == "C")
                       and rng.random() < profile.interpreter)
        language = rng.choice(LANGUAGES[person.ethnicity]) if interpreter else ""
        postcode = self.postcode(rng, profile)
        email = ""
        if rng.random() < 0.4:
            email = f"{given}.{family}{rng.randint(1, 99)}@example.com".lower().replace(" ", "")
        method = _pick(rng, {"telephone": 80, "text": 12, "email": 5 if email else 0,
                             "letter": 3})
        nhs_number, missing = "", ""
        if rng.random() < profile.no_nhs_number:
            missing = "not_yet_traced"
        else:
            nhs_number = self.nhs_number(rng, used)
        person.row = _row(
            "people", id=f"P{person.index + 1:05d}", nhs_number=nhs_number,
            nhs_number_missing_reason=missing, given_name=given, family_name=family,
            date_of_birth=person.dob, sex=sex, gender=person.gender, ethnicity=person.ethnicity,
            postcode=postcode["postcode"], lsoa_code=postcode["lsoa_code"],
            imd_decile=postcode["imd_decile"],
            registered_practice_id=self.place.org_id(rng.choice(
                self.place.practices(person.team))),
            interpreter_needed=interpreter, language=language,
            phone=f"07700 900{rng.randint(0, 999):03d}", email=email,
            address=f"{rng.randint(1, 180)} {rng.choice(STREETS[self.slug])}, {CITY[self.slug]}",
            preferred_contact_method=method)

    def nhs_number(self, rng: random.Random, used: set[str]) -> str:
        """A unique NHS number in this tenant's reserved test range, with a valid check digit."""
        while True:
            first_nine = f"{self.settings.nhs_prefix}{rng.randint(0, 99_999):05d}"
            check = nhs_number_check_digit(first_nine)
            if check is not None and first_nine not in used:
                used.add(first_nine)
                return f"{first_nine}{check}"

    def postcode(self, rng: random.Random, profile: TeamProfile) -> dict[str, str]:
        """A postcode of the demo lookup in the team's districts (its LSOA and IMD decile
        with it); deprived areas favour the most deprived deciles."""
        rows = [row for row in self.postcodes if row["postcode"].split()[0] in profile.districts]
        weights = [(11 - int(row["imd_decile"])) ** 2 if profile.deprived else 1 for row in rows]
        return rng.choices(rows, weights=weights)[0]

    # --- a referral's course ------------------------------------------------------------------

    def make_referral(self, rng: random.Random, referral: Referral) -> None:
        """The referral's row and its care: triaged (or, within the window, reopened) by the
        team's MHP or clinical lead, who also types it in."""
        place, team = self.place, referral.team
        triagers = place.members(team, ["mhp", "clinical_lead"])
        triager = rng.choices(triagers, weights=[3 if m.role == "mhp" else 1 for m in triagers])[0]
        needs = referral.needs = self.needs(rng, team)
        source = _pick(rng, SOURCES)
        urgency = _pick(rng, {"routine": 90, "urgent": 9, "emergency": 1})
        practice_id = referral.person.row["registered_practice_id"]
        referrer_name, referrer_org = self.referrer(rng, source, practice_id)
        ending = rng.choice(REASON_ENDINGS)
        phrases = [NEED_PHRASES[need] for need in needs]
        reason = f"{phrases[0][0].upper()}{phrases[0][1:]}"
        if len(phrases) > 1:
            reason += " and " + ", ".join(phrases[1:])
        values: dict[str, Any] = {
            "id": referral.id, "person_id": referral.person.row["id"],
            "team_id": place.team_id(team), "source": source, "referrer_name": referrer_name,
            "referrer_organisation_id": referrer_org, "received_on": referral.received,
            "entered_at": referral.entered, "entered_by_id": triager.id, "urgency": urgency,
            "presenting_needs": sorted(needs), "reason": f"{reason}; {ending}.",
        }
        if referral.reopens is not None:
            self.reopen(rng, referral, values, triager)
        else:
            self.triage(rng, referral, values, triager, urgency)
        referral.row = _row("referrals", **values)

    def needs(self, rng: random.Random, team: str) -> list[str]:
        """One to three presenting needs; neurodevelopmental needs are common among students."""
        weights = dict(NEEDS)
        if PROFILES[self.slug][team].youth:
            weights["neurodevelopmental"] = 10
        chosen: list[str] = []
        for _ in range(rng.choices([1, 2, 3], weights=[35, 45, 20])[0]):
            need = _pick(rng, weights)
            if need not in chosen:
                chosen.append(need)
        return chosen

    def referrer(self, rng: random.Random, source: str, practice_id: str) -> tuple[str, str]:
        """Who referred, and their organisation when it is one of the tenant's."""
        family = rng.choice(NAMES["british"]["family"] + NAMES["south_asian"]["family"])
        if source in {"gp", "direct_booking"}:
            return f"Dr {family}", practice_id
        if source == "secondary_care":
            return SECONDARY_CARE[self.slug], self.place.org_id("trust")
        if source == "talking_therapies":
            return TALKING_THERAPIES[self.slug], ""
        if source == "vcse":
            vcse = [key for key, org in self.place.orgs.items() if org["kind"] == "vcse"]
            return f"Support worker {family}", self.place.org_id(rng.choice(vcse))
        if source == "police":
            return POLICE[self.slug], ""
        if source == "other_agency":
            return f"Housing officer {family}", self.place.org_id("council")
        return "", ""

    def triage(self, rng: random.Random, referral: Referral, values: dict[str, Any],
               triager: Member, urgency: str) -> None:
        """Decided within days (a week or two via the MDT); most accepted, some redirected with
        a warm handover, a few rejected. Referrals the figures need are always accepted."""
        forced = referral.must_engage
        base = max(referral.received, referral.entered.date())
        mdt = not forced and urgency == "routine" and rng.random() < 0.1
        if mdt:
            values["mdt_note"] = rng.choice(MDT_NOTES)
            triaged = _working_days_after(base, rng.randint(3, 8))
        elif urgency != "routine":
            triaged = base
        else:
            triaged = _working_days_after(base, rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4]))
        triaged = min(triaged, referral.latest_end - dt.timedelta(days=20))
        triaged = max(triaged, referral.received)
        values.update(triaged_on=triaged, triaged_by_id=triager.id)
        decision = "accept"
        if not forced:
            if urgency == "emergency":
                decision = "redirect" if rng.random() < 0.8 else "accept"
            else:
                decision = _pick(rng, {"accept": 84.5, "redirect": 9.5, "reject": 6})
        if decision != "accept" and rng.random() < 0.45:
            self.contact(rng, referral, triager, triaged, purpose="triage", mode="telephone",
                         attendance="attended")
        if decision == "redirect":
            destination = "crisis" if urgency == "emergency" else _pick(
                rng, {k: w for k, (_, w) in REDIRECTS.items() if k != "crisis"})
            referral.status = "redirected"
            values.update(status="redirected", redirect_destination=destination,
                          decision_note=REDIRECTS[destination][0])
            return
        if decision == "reject":
            reason = _pick(rng, {k: w for k, (_, w) in REJECTIONS.items()})
            referral.status = "rejected"
            values.update(status="rejected", rejection_reason=reason,
                          decision_note=REJECTIONS[reason][0])
            return
        if rng.random() < 0.45:
            self.contact(rng, referral, triager, triaged, purpose="triage", mode="telephone",
                         attendance="attended", duration=rng.choice([15, 20, 30]))
        self.accepted(rng, referral, values, triaged)

    def wait_factor(self, referral: Referral) -> float:
        """How much longer than usual the wait for allocation and a first appointment is."""
        if referral.must_engage or self.slug != "sheffield":
            return 1.0
        key = (referral.team, referral.received.year, referral.received.month)
        return SHEFFIELD_WAIT_FACTORS.get(key, 1.0)

    def choose_worker(self, rng: random.Random, referral: Referral) -> Member:
        """A named worker of the team; staff across several teams share their weight out."""
        if referral.connector == "worker":
            return self.connector_for(rng, referral)
        members = [m for m in self.place.members(referral.team) if m.role in WORKER_WEIGHTS]
        care_teams = set(self.place.care_teams())
        weights = [WORKER_WEIGHTS[m.role] / len(care_teams.intersection(m.teams))
                   for m in members]
        return rng.choices(members, weights=weights)[0]

    def connector_for(self, rng: random.Random, referral: Referral) -> Member:
        """The team's own connector mostly; one working across teams sometimes."""
        connectors = self.place.members(referral.team, ["connector"])
        weights = [4 if len(m.teams) == 1 else 1 for m in connectors]
        return rng.choices(connectors, weights=weights)[0]

    def accepted(self, rng: random.Random, referral: Referral, values: dict[str, Any],
                 triaged: dt.date) -> None:
        """Accepted: allocated, seen (or not), discharged by its latest end."""
        limit = referral.latest_end
        factor = self.wait_factor(referral)
        if not referral.must_engage and rng.random() < 0.02:
            # Closed before allocation: the person moved or changed their mind.
            reason = rng.choice(["declined", "moved_away"])
            discharged = min(triaged + dt.timedelta(days=rng.randint(3, 20)), limit)
            self.discharge(referral, values, "discharged", discharged, reason)
            return
        worker = self.choose_worker(rng, referral)
        referral.worker = worker
        forced = referral.must_engage
        allocated = triaged + dt.timedelta(days=round(rng.randint(0, 7 if forced else 10)
                                                      * factor))
        first = allocated + dt.timedelta(days=round(rng.randint(2, 14 if forced else 20)
                                                    * factor))
        first = min(first, limit - dt.timedelta(days=14))
        allocated = max(min(allocated, first), triaged)
        values.update(worker_id=worker.id, allocated_on=allocated)
        engaged = forced or rng.random() > 0.07
        if not engaged:
            self.not_engaged(rng, referral, values, worker, first)
            return
        self.care(rng, referral, values, worker, first)

    def not_engaged(self, rng: random.Random, referral: Referral, values: dict[str, Any],
                    worker: Member, first: dt.date) -> None:
        """Allocated but never seen: missed or cancelled appointments, then discharged."""
        day = first
        last = first
        for _ in range(rng.randint(1, 3)):
            if day > referral.latest_end - ONE_DAY:
                break
            attendance = _pick(rng, {"dna": 75, "cancelled_by_patient": 25})
            self.contact(rng, referral, worker, day, purpose="assessment",
                         attendance=attendance)
            last = day
            day += dt.timedelta(days=rng.randint(5, 14))
        discharged = min(last + dt.timedelta(days=rng.randint(7, 21)), referral.latest_end)
        self.discharge(referral, values, "discharged", discharged, "no_contact",
                       note="Did not attend, and did not reply to our letter.")

    def care(self, rng: random.Random, referral: Referral, values: dict[str, Any],
             worker: Member, first: dt.date) -> None:
        """The usual course: an assessment, a plan, sessions, then discharge."""
        limit = referral.latest_end - ONE_DAY
        team = referral.team
        assessor = worker if worker.role in ASSESSING_ROLES else rng.choice(
            self.place.members(team, ["mhp"]))
        if rng.random() < 0.1 and not referral.connector_by:
            self.contact(rng, referral, assessor, first, purpose="assessment",
                         attendance="dna")
            first = min(first + dt.timedelta(days=rng.randint(4, 10)), limit)
        assessment = self.contact(rng, referral, assessor, first, purpose="assessment",
                                  attendance="attended", duration=rng.choice([45, 60, 60, 75]))
        referral.first_attended = first
        self.assess(rng, referral, assessor, assessment, kind=(
            "biopsychosocial" if assessor.role == "psychologist" and rng.random() < 0.3
            else "initial"))
        baseline = self.dialog(rng, referral, assessment, None) if rng.random() < 0.85 else None
        sessions = self.sessions(rng, referral, worker, first, limit)
        if rng.random() < 0.9:
            agreed = first
            planning = [c for c in sessions if c["attendance"] == "attended"
                        and c["staff_id"] == assessor.id][:1]
            if planning and rng.random() < 0.45:
                planning[0]["purpose"] = "care_planning"
                agreed = dt.date.fromisoformat(planning[0]["on"])
            self.care_plan(rng, referral, assessor, agreed)
        self.finish(rng, referral, values, worker, sessions, baseline, first)

    def sessions(self, rng: random.Random, referral: Referral, worker: Member,
                 first: dt.date, limit: dt.date) -> list[dict[str, str]]:
        """The contacts after the assessment: the worker's sessions, a connector's, now and then
        a pharmacist's, health coach's or peer support worker's, and a call to another
        service."""
        made: list[dict[str, str]] = []
        count = rng.choices(range(1, 8), weights=[12, 18, 20, 18, 14, 10, 8])[0]
        if referral.onward or referral.reopened_by:
            count = max(count, 2)
        day = first
        worker_purpose = ("intervention" if worker.role in PRACTITIONER_ROLES else "support")
        for index in range(count):
            day += dt.timedelta(days=rng.randint(7, 21))
            if day > limit:
                break
            mode = self.mode(rng, day)
            attendance = "attended" if mode == "text_email" else self.attendance(rng)
            purpose = "review" if index == count - 1 and count > 2 else worker_purpose
            if mode == "text_email":
                purpose = "support"
            made.append(self.contact(rng, referral, worker, day, purpose=purpose, mode=mode,
                                     attendance=attendance))
        if referral.connector == "support":
            made += self.connector_sessions(rng, referral, first, limit)
        if referral.connector == "worker":
            referral.connector_member = worker
            attended = [c for c in made if c["attendance"] == "attended"]
            referral.first_connector = (dt.date.fromisoformat(attended[0]["on"])
                                        if attended else None)
            if referral.connector_by and (referral.first_connector is None
                                          or referral.first_connector > referral.connector_by):
                day = min(max(first, referral.received), referral.connector_by)
                made.append(self.contact(rng, referral, worker, day, purpose="support",
                                         attendance="attended"))
                referral.first_connector = day
            if referral.first_connector is not None:
                self.intervention(rng, referral, worker, "community_connection",
                                  [c for c in made if c["staff_id"] == worker.id])
        elif worker.role in PRACTITIONER_ROLES:
            self.intervention(rng, referral, worker, ROLE_INTERVENTION[worker.role],
                              [c for c in made if c["staff_id"] == worker.id])
        made += self.extra_help(rng, referral, first, limit)
        if rng.random() < 0.1:
            day = min(first + dt.timedelta(days=rng.randint(1, 20)), limit)
            made.append(self.contact(rng, referral, worker, day,
                                     purpose=rng.choice(["liaison", "advice_to_professional"]),
                                     mode="telephone", attendance="attended", direct=False,
                                     duration=rng.choice([10, 15, 20])))
        return made

    def connector_sessions(self, rng: random.Random, referral: Referral, first: dt.date,
                           limit: dt.date) -> list[dict[str, str]]:
        """A connector alongside the worker: the first contact attended (in Sheffield, inside
        Table 2's window for the people it counts, after it for the rest)."""
        connector = self.connector_for(rng, referral)
        referral.connector_member = connector
        start = first + dt.timedelta(days=rng.randint(0, 14))
        if referral.connector_by:
            start = max(min(start, referral.connector_by), referral.received)
        if referral.connector_from:
            start = max(start, referral.connector_from)
        if start > limit:
            referral.connector_member = None
            return []
        made = []
        day = start
        for index in range(rng.randint(1, 4)):
            if day > limit:
                break
            attendance = "attended" if index == 0 else self.attendance(rng)
            made.append(self.contact(rng, referral, connector, day, purpose="support",
                                     attendance=attendance))
            day += dt.timedelta(days=rng.randint(7, 21))
        referral.first_connector = start
        self.intervention(rng, referral, connector, "community_connection", made)
        return made

    def extra_help(self, rng: random.Random, referral: Referral, first: dt.date,
                   limit: dt.date) -> list[dict[str, str]]:
        """Now and then the pharmacist or a health coach, or a peer support worker."""
        made = []
        for roles, share in ((["pharmacist", "health_coach"], 0.08), (["peer_support"], 0.06)):
            helpers = self.place.members(referral.team, roles)
            if not helpers or rng.random() >= share:
                continue
            helper = rng.choice(helpers)
            day = first + dt.timedelta(days=rng.randint(5, 30))
            mine = []
            for _ in range(rng.randint(1, 3)):
                if day > limit:
                    break
                mine.append(self.contact(rng, referral, helper, day,
                                         purpose="intervention" if helper.role
                                         in PRACTITIONER_ROLES else "support",
                                         attendance=self.attendance(rng)))
                day += dt.timedelta(days=rng.randint(7, 28))
            self.intervention(rng, referral, helper, ROLE_INTERVENTION[helper.role], mine)
            made += mine
        return made

    def finish(self, rng: random.Random, referral: Referral, values: dict[str, Any],
               worker: Member, sessions: list[dict[str, str]], baseline: dict | None,
               first: dt.date) -> None:
        """Discharge after the last contact; a later DIALOG at the last session with the
        worker, often."""
        mine = sorted((c for c in sessions if c["staff_id"] == worker.id and c["direct"] ==
                       "true"), key=lambda c: c["on"])
        attended = [c for c in mine if c["attendance"] == "attended"]
        if baseline is not None and len(attended) >= 2 and rng.random() < 0.7:
            self.dialog(rng, referral, attended[-1], baseline)
        last = max([first] + [dt.date.fromisoformat(c["on"]) for c in sessions])
        discharged = min(last + dt.timedelta(days=rng.randint(0, 14)), referral.latest_end)
        if referral.earliest_end:
            discharged = max(discharged, referral.earliest_end)
        if referral.connector_member is not None and referral.connector == "support":
            values["joint_worker_ids"] = [referral.connector_member.id]
        tail = [c["attendance"] for c in mine[-2:]]
        if len(tail) == 2 and "attended" not in tail:
            self.discharge(referral, values, "discharged", discharged, "no_contact",
                           note="Stopped coming; did not reply to our letter.")
            return
        options = dict(DISCHARGES)
        if referral.reopened_by is not None or referral.returns_after is not None:
            options.pop("moved_away")
        reason = _pick(rng, {k: w for k, (_, w) in options.items()})
        destination = ""
        if reason == "stepped_up":
            destination = SECONDARY_CARE[self.slug]
        elif reason == "stepped_down":
            destination = rng.choice(["Their GP practice", TALKING_THERAPIES[self.slug]])
        self.discharge(referral, values, "discharged", discharged, reason,
                       destination=destination, note=DISCHARGES[reason][0])

    def discharge(self, referral: Referral, values: dict[str, Any], status: str,
                  on: dt.date, reason: str, *, destination: str = "", note: str = "") -> None:
        referral.status = status
        referral.discharged = on
        values.update(status=status, discharged_on=on, discharge_reason=reason,
                      discharge_destination=destination, discharge_note=note)

    def reopen(self, rng: random.Random, referral: Referral, values: dict[str, Any],
               triager: Member) -> None:
        """A re-referral to the same team within the window of a discharge: no new triage, the
        same worker, the episode carries on (referrals.services._reopen_episode)."""
        previous = referral.reopens
        worker = previous.worker
        referral.worker = worker
        values.update(
            triaged_on=referral.received, triaged_by_id=triager.id, worker_id=worker.id,
            allocated_on=referral.received, previous_referral_id=previous.id,
            episode_id=previous.row.get("episode_id") or previous.id,
            decision_note=f"Re-referred within {RE_REFERRAL_WINDOW_DAYS} days of discharge on "
                          f"{previous.discharged:%d/%m/%Y}.")
        limit = referral.latest_end - ONE_DAY
        first = min(referral.received + dt.timedelta(days=rng.randint(3, 14)), limit)
        seen_by = worker if worker.role in ASSESSING_ROLES else rng.choice(
            self.place.members(referral.team, ["mhp"]))
        contact = self.contact(rng, referral, seen_by, first, purpose="review",
                               attendance="attended", duration=45)
        referral.first_attended = first
        if rng.random() < 0.6:
            self.assess(rng, referral, seen_by, contact, kind="risk")
        baseline = self.dialog(rng, referral, contact, None) if rng.random() < 0.5 else None
        if rng.random() < 0.5:
            self.care_plan(rng, referral, seen_by, first)
        sessions = []
        day = first
        for _ in range(rng.randint(1, 4)):
            day += dt.timedelta(days=rng.randint(7, 21))
            if day > limit:
                break
            sessions.append(self.contact(rng, referral, worker, day, purpose="support",
                                         attendance=self.attendance(rng)))
        self.finish(rng, referral, values, worker, sessions, baseline, first)

    # --- care records ---------------------------------------------------------------------------

    def mode(self, rng: random.Random, day: dt.date) -> str:
        """How contacts happened: mostly by phone and video in the pandemic, face to face
        later."""
        if day < dt.date(2021, 7, 1):
            weights = {"telephone": 45, "video": 20, "face_to_face": 31, "text_email": 4}
        else:
            weights = {"face_to_face": 52, "telephone": 34, "video": 10, "text_email": 4}
        return _pick(rng, weights)

    def attendance(self, rng: random.Random) -> str:
        return _pick(rng, {"attended": 80, "dna": 12, "cancelled_by_patient": 5,
                           "cancelled_by_provider": 3})

    def contact(self, rng: random.Random, referral: Referral, staff: Member, on: dt.date, *,
                purpose: str, attendance: str, mode: str = "", direct: bool = True,
                duration: int | None = None) -> dict[str, str]:
        """A contact that happened (or was missed or cancelled): history has no bookings."""
        mode = mode or self.mode(rng, on)
        if mode == "text_email":
            duration = duration or 10
        elif attendance == "attended":
            duration = duration or rng.choice([30, 45, 45, 60, 60, 90])
        else:
            duration = None
        start = rng.randrange(9 * 60, 16 * 60 + 31, 15)
        recorded = min(start + (duration or 0) + rng.randint(10, 120), 21 * 60)
        row = _row("contacts", id=self.next_id("C", 6), referral_id=referral.id,
                   team_id=self.place.team_id(referral.team), staff_id=staff.id,
                   staff_role=staff.role, on=on, at=dt.time(start // 60, start % 60),
                   duration_minutes=duration, mode=mode, attendance=attendance, direct=direct,
                   purpose=purpose, note=CONTACT_NOTES.get(attendance, ""),
                   recorded_by_id=staff.id, recorded_at=_at(on, recorded))
        self.rows["contacts"].append(row)
        return row

    def assess(self, rng: random.Random, referral: Referral, assessor: Member,
               contact: dict[str, str], *, kind: str) -> None:
        phrases = [NEED_PHRASES[need] for need in referral.needs]
        summary = (rng.choice(ASSESSMENT_OPENINGS).format(needs=" and ".join(phrases[:2]) or
                                                          "low mood and worry")
                   + " " + rng.choice(ASSESSMENT_CONTEXT))
        on = dt.date.fromisoformat(contact["on"])
        self.rows["assessments"].append(_row(
            "assessments", id=self.next_id("A"), referral_id=referral.id, kind=kind,
            assessed_on=on, assessor_id=assessor.id, contact_id=contact["id"], summary=summary,
            risk_summary=rng.choice(RISK_SUMMARIES), recorded_by_id=assessor.id,
            recorded_at=_at(on, rng.randint(16 * 60, 19 * 60))))

    def care_plan(self, rng: random.Random, referral: Referral, author: Member,
                  agreed: dt.date) -> None:
        goals = [GOALS[need] for need in referral.needs[:3]]
        with_whom = ["person"]
        if rng.random() < 0.08:
            with_whom.append("carer")
        if rng.random() < 0.05:
            with_whom.append("gp")
        if referral.onward and rng.random() < 0.3:
            with_whom.append("vcse")
        self.rows["care_plans"].append(_row(
            "care_plans", id=self.next_id("CP"), referral_id=referral.id, version=1,
            goals=goals, co_produced_with=with_whom, agreed_on=agreed,
            review_trigger=rng.choice(REVIEW_TRIGGERS),
            review_by=agreed + dt.timedelta(days=84), safety_plan=SAFETY_PLAN[self.slug],
            recorded_by_id=author.id, recorded_at=_at(agreed, rng.randint(16 * 60, 19 * 60))))

    def intervention(self, rng: random.Random, referral: Referral, staff: Member, kind: str,
                     contacts: Sequence[dict[str, str]]) -> None:
        """From the first attended contact of ``staff`` to their last; none if they never saw
        the person."""
        attended = sorted((c for c in contacts if c["attendance"] == "attended"),
                          key=lambda c: c["on"])
        if not attended:
            return
        started = dt.date.fromisoformat(attended[0]["on"])
        self.rows["interventions"].append(_row(
            "interventions", id=self.next_id("I"), referral_id=referral.id, kind=kind,
            description=rng.choice(INTERVENTIONS[kind]), started_on=started,
            ended_on=dt.date.fromisoformat(attended[-1]["on"]), delivered_by_id=staff.id,
            contact_id=attended[0]["id"], recorded_by_id=staff.id,
            recorded_at=_at(started, rng.randint(16 * 60, 19 * 60))))

    def dialog(self, rng: random.Random, referral: Referral, contact: dict[str, str],
               baseline: dict | None) -> dict:
        """A DIALOG: a baseline, or a later one a little better than the baseline."""
        spec = TOOLS[OutcomeTool.DIALOG]
        if baseline is None:
            level = rng.randint(2, 4)
            items = [min(max(level + rng.randint(-1, 2), 1), 7) for _ in spec.items]
        else:
            items = [min(max(item + rng.choice([-1, 0, 1, 1, 2]), 1), 7)
                     for item in baseline["items"]]
        wants = [rng.random() < (0.6 if item <= 3 else 0.15) for item in items]
        on = dt.date.fromisoformat(contact["on"])
        self.rows["outcome_measures"].append(_row(
            "outcome_measures", id=self.next_id("O"), referral_id=referral.id,
            tool=OutcomeTool.DIALOG.value, completed_on=on, items=items, wants_more_help=wants,
            contact_id=contact["id"], recorded_by_id=contact["staff_id"],
            recorded_at=_at(on, rng.randint(16 * 60, 19 * 60))))
        return {"items": items}

    # --- onward referrals and the partners' work -------------------------------------------------

    def make_vcse(self) -> None:
        """Send the onward referrals, then each partner answers all of its own at once (so its
        support can be dealt out to add up to its figures)."""
        rng = self.rng("vcse")
        for referral in self.referrals:
            if referral.onward:
                self.send_onward(rng, referral)
        by_partner: dict[str, list[Onward]] = defaultdict(list)
        for onward in self.onwards:
            by_partner[onward.partner].append(onward)
        for partner, onwards in by_partner.items():
            self.answer(rng, partner, onwards)

    def send_onward(self, rng: random.Random, referral: Referral) -> None:
        """Sent with consent while the referral is open, after the person was first seen, by
        the connector who saw them or else their worker."""
        last = min(referral.discharged - ONE_DAY, self.settings.onward_end)
        sender, start = referral.worker, referral.first_attended
        connector_start = max(filter(None, [referral.first_connector, start]), default=None)
        if (referral.connector_member is not None and referral.first_connector
                and connector_start <= last and rng.random() < 0.7):
            sender, start = referral.connector_member, connector_start
        if sender is None or start is None or start > last:
            raise ValueError(f"{referral.id}: no day to send its onward referral on")
        sent = start + dt.timedelta(days=rng.randint(0, min((last - start).days, 28)))
        onward = Onward(referral=referral, partner=referral.onward, sent_on=sent, sent_by=sender,
                        id=self.next_id("OR", 4))
        self.onwards.append(onward)

    def answer(self, rng: random.Random, partner: str, onwards: list[Onward]) -> None:
        """The partner accepts most and declines a few; the support it gives adds up to its
        figures (Table 3) for Sheffield."""
        onwards.sort(key=lambda o: (o.sent_on, o.id))
        for onward in onwards:
            onward.accepted = rng.random() > 0.07
        accepted = [o for o in onwards if o.accepted]
        categories = self.categories[partner]
        if self.slug == "sheffield":
            tokens = [kind for kind, n in SHEFFIELD_SUPPORT[partner].items() for _ in range(n)]
            rng.shuffle(tokens)
            for index, kind in enumerate(tokens):
                accepted[index % len(accepted)].tokens.append(kind)
        else:
            for onward in accepted:
                onward.tokens = [rng.choice(categories) for _ in range(rng.randint(1, 4))]
        staff = self.place.vcse_staff(partner)
        for onward in onwards:
            self.onward_rows(rng, onward, staff, categories)

    def onward_rows(self, rng: random.Random, onward: Onward, staff: list[Member],
                    categories: list[str]) -> None:
        """The onward referral's row (with its consent) and the partner's contacts: accepted
        ones are worked with and closed by the end date, declined ones answered."""
        org_name = self.place.orgs[onward.partner]["name"]
        worker = rng.choice(staff)
        responded = min(_working_days_after(onward.sent_on, rng.randint(1, 5)),
                        self.settings.end)
        order = {kind: index for index, kind in enumerate(categories)}
        tokens = sorted(onward.tokens, key=lambda kind: order[kind])
        needs = list(dict.fromkeys(tokens))[:3] or rng.sample(categories, 1)
        representative = rng.random() < 0.04
        values: dict[str, Any] = {
            "id": onward.id, "referral_id": onward.referral.id,
            "service_id": self.services[onward.partner], "sent_on": onward.sent_on,
            "sent_by_id": onward.sent_by.id, "reason": ONWARD_REASONS[onward.partner],
            "needs": needs, "responded_on": responded, "responded_by_id": worker.id,
            "consent_given_by": "representative" if representative else "person",
            "consent_given_by_name": self.representative(rng) if representative else "",
            "consent_given_on": onward.sent_on,
            "consent_purpose": f"To share my details with {org_name} so they can offer me "
                               "support.",
            "consent_expires_on": _years_before(onward.sent_on, -1),  # a year later
            "consent_includes_risk": False,
        }
        if not onward.accepted:
            values.update(status="declined", decline_reason=_pick(rng, DECLINES))
            self.rows["onward_referrals"].append(_row("onward_referrals", **values))
            return
        visits = self.visits(rng, tokens)
        limit = self.settings.end - dt.timedelta(days=3)
        first = responded + dt.timedelta(days=rng.randint(2, 14))
        days = [first]
        for _ in visits[1:]:
            days.append(days[-1] + dt.timedelta(days=rng.randint(5, 14)))
        if days[-1] > limit:
            days = _spread(min(first, limit), limit, len(days))
        for (attendance, kinds), day in zip(visits, days, strict=True):
            group = bool(GROUP_TYPES.intersection(kinds))
            mode = ("group" if group and rng.random() < 0.7 else
                    _pick(rng, {"in_person": 60, "telephone": 30, "video": 5, "text": 5}))
            duration = (rng.choice([90, 120]) if mode == "group" else
                        rng.choice([30, 45, 60, 60, 90])) if attendance == "attended" else None
            who = rng.choice(staff)
            self.rows["vcse_contacts"].append(_row(
                "vcse_contacts", id=self.next_id("VC"), onward_referral_id=onward.id,
                staff_id=who.id, on=day, mode=mode, attendance=attendance,
                duration_minutes=duration, support_types=kinds, recorded_by_id=who.id,
                recorded_at=_at(day, rng.randint(15 * 60, 19 * 60))))
        if tokens:
            outcome = _pick(rng, {"completed": 70, "ongoing": 18 if GROUP_TYPES.intersection(
                tokens) else 4, "referred_on": 5, "person_ended": 5})
        else:
            outcome = "disengaged"
        closed = min(days[-1] + dt.timedelta(days=rng.randint(0, 10)), self.settings.end)
        values.update(status="closed", closed_on=closed, outcome=outcome,
                      outcome_note=CLOSE_NOTES[outcome])
        self.rows["onward_referrals"].append(_row("onward_referrals", **values))

    def visits(self, rng: random.Random, tokens: list[str]) -> list[tuple[str, list[str]]]:
        """The partner's contacts: the support types grouped into attended contacts (one to
        three different types each), with a missed one now and then."""
        visits: list[tuple[str, list[str]]] = []
        remaining = list(tokens)
        while remaining:
            size = rng.randint(1, 3)
            chosen: list[str] = []
            rest: list[str] = []
            for kind in remaining:
                if len(chosen) < size and kind not in chosen:
                    chosen.append(kind)
                else:
                    rest.append(kind)
            remaining = rest
            if rng.random() < 0.1:
                visits.append((rng.choice(["did_not_attend", "cancelled"]), []))
            visits.append(("attended", sorted(chosen)))
        if not visits:
            visits = [("did_not_attend", [])] * rng.randint(1, 2)
        return visits

    def representative(self, rng: random.Random) -> str:
        names = NAMES["british"]
        relation = rng.choice(["mother", "sister", "partner", "son", "advocate"])
        return f"{rng.choice(names['female'])} {rng.choice(names['family'])} ({relation})"
