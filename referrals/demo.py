"""Demo people and referrals: a few weeks of current intake per team, so the triage queue, MDT
lists, allocation and caseloads have something to show. Made-up people, NHS numbers from the
range reserved for testing (999 ...), deterministic for a given seed.

Everything is written through the services, as staff would, so the event log and the audit log
look as they would in real use.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from pcns.models import Membership, Organisation, OrganisationKind, Role, Team, TeamKind
from pcns.roles import CLINICAL_ROLES
from pcns.tenancy import tenant_context
from referrals import services
from referrals.codes import PresentingNeed
from referrals.models import PostcodeArea
from referrals.validators import nhs_number_check_digit

POSTCODES = Path(__file__).parent / "data" / "demo_postcodes.csv"
PER_TEAM = 14

GIVEN = {
    "female": ["Amira", "Bethany", "Chloe", "Danielle", "Eleanor", "Fatima", "Grace", "Hannah",
               "Imogen", "Jasmine", "Kayleigh", "Leah", "Maryam", "Niamh", "Olivia", "Priya",
               "Rachel", "Sophie", "Tamsin", "Zainab"],
    "male": ["Aaron", "Bilal", "Callum", "Daniel", "Ethan", "Farhan", "George", "Harvey",
             "Imran", "Jack", "Kieran", "Liam", "Mohammed", "Nathan", "Oliver", "Patrick",
             "Reece", "Samuel", "Tariq", "Yusuf"],
}
FAMILY = ["Ahmed", "Bennett", "Clarke", "Dawson", "Evans", "Fletcher", "Green", "Hussain",
          "Iqbal", "Jackson", "Khan", "Lawson", "Mensah", "Nowak", "Okafor", "Parker", "Quinn",
          "Robinson", "Shaw", "Thompson", "Walsh", "Wright", "Yates", "Zielinski"]
ETHNICITY = ["A"] * 16 + ["B", "C", "C", "D", "F", "H", "J", "J", "K", "M", "N", "N", "R", "S",
                          "Z", "99"]
SOURCES = ["gp"] * 10 + ["self", "self", "talking_therapies", "secondary_care", "vcse", "carer",
                         "direct_booking"]


def _nhs_number(rng: random.Random, used: set[str]) -> str:
    while True:
        # 9990... and 9991... are the demo history's (pcns/demo_history.py).
        first_nine = f"999{rng.randint(200_000, 999_999):06d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None and first_nine not in used:
            used.add(first_nine)
            return f"{first_nine}{check}"


def load_postcodes(tenant_id, *, area: str) -> None:
    """The demo lookup's postcodes for one postcode area (S for Sheffield, LS for Leeds)."""
    prefix = area
    with POSTCODES.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle)
                if row["postcode"].startswith(prefix) and row["postcode"][len(prefix)].isdigit()]
    with tenant_context(tenant_id):
        services.postcode_areas_load(rows=rows)


def load_referrals(tenant_id, *, seed: int = 2026) -> int:
    """About two weeks' current intake per clinical team, in every state of triage."""
    rng = random.Random(f"{seed}-{tenant_id}")  # noqa: S311 - made-up demo data, not secrets
    today = timezone.localdate()
    used: set[str] = set()
    made = 0
    with tenant_context(tenant_id):
        postcodes = list(PostcodeArea.objects.values_list("postcode", flat=True))
        teams = Team.objects.filter(
            tenant_id=tenant_id, kind__in=[TeamKind.PCN_TEAM, TeamKind.HUB]
        ).select_related("host").order_by("name")
        for team in teams:
            members = list(Membership.objects.filter(teams=team, is_active=True)
                           .select_related("user").order_by("user__email"))
            triagers = [m for m in members if m.role in {Role.MHP, Role.CLINICAL_LEAD}]
            if not triagers:
                continue
            lead = next((m for m in triagers if m.role == Role.CLINICAL_LEAD), triagers[0])
            practices = list(
                Organisation.objects.filter(kind=OrganisationKind.GP_PRACTICE)
                .filter(Q(parent=team.host) | Q(parent__parent=team.host))
                .order_by("name")
            )
            for index in range(PER_TEAM):
                made += _one_referral(rng, used, team, index, today, postcodes, practices,
                                      triagers, lead, members)
    return made


def _one_referral(rng, used, team, index, today, postcodes, practices, triagers, lead,
                  members) -> int:
    sex = rng.choice(["female", "female", "female", "male", "male"])
    practice = rng.choice(practices) if practices else None
    person = services.person_create(
        actor=triagers[0].user,
        data=services.PersonInput(
            given_name=rng.choice(GIVEN[sex]), family_name=rng.choice(FAMILY),
            date_of_birth=today - dt.timedelta(days=rng.randint(19 * 365, 78 * 365)),
            sex=sex, gender=sex, ethnicity=rng.choice(ETHNICITY),
            nhs_number=_nhs_number(rng, used), postcode=rng.choice(postcodes) if postcodes else "",
            registered_practice=practice, phone=f"07700 900{rng.randint(0, 999):03d}",
            interpreter_needed=index % 9 == 4, language="Urdu" if index % 9 == 4 else "",
        ),
    )
    source = rng.choice(SOURCES)
    referral = services.referral_create(
        actor=triagers[0].user, person=person,
        data=services.ReferralInput(
            team=team, source=source,
            received_on=today - dt.timedelta(days=rng.randint(0, 45)),
            presenting_needs=rng.sample(PresentingNeed.values[:-1], rng.randint(1, 3)),
            urgency=rng.choice(["routine"] * 8 + ["urgent"]),
            referrer_name="Dr " + rng.choice(FAMILY) if source == "gp" else "",
            referrer_organisation=practice if source in {"gp", "direct_booking"} else None,
            reason="Low mood and anxiety affecting work and sleep; asked for support.",
        ),
    )
    step = index % 7
    actor = lead.user
    if step in {0, 1, 2}:
        return 1  # awaiting triage
    if step == 3:
        services.referral_flag_for_mdt(referral=referral, actor=actor, version=referral.version,
                                       note="Complex history: agree the best route as a team.")
        return 1
    if step == 4 and index % 2:
        services.referral_redirect(
            referral=referral, actor=actor, version=referral.version,
            destination=rng.choice(["talking_therapies", "vcse", "secondary_care"]),
            note="Spoke to the receiving service; they will contact the person this week.",
        )
        return 1
    referral = services.referral_accept(referral=referral, actor=actor,
                                        version=referral.version)
    if step in {5, 6}:
        workers = [m for m in members if m.role in CLINICAL_ROLES - {Role.PEER_SUPPORT}]
        worker = rng.choice(workers)
        services.referral_allocate(referral=referral, actor=actor, version=referral.version,
                                   worker=worker)
    return 1
