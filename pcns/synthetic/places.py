"""A synthetic tenant's small tables: organisations, teams, staff, VCSE services and postcodes.

There are a few thousand of these rows per tenant at most (postcodes, mostly), so they are
written with the ORM (``bulk_create``); the big tables are written with COPY by the other
modules. What those need to know about a tenant is returned as a ``Place``.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import product

from django.contrib.auth.hashers import make_password

from caseload.services import PRACTITIONER_ROLES
from pcns.models import (
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    Team,
    TeamKind,
    TeamMembership,
    Tenant,
    User,
)
from pcns.synthetic import names
from pcns.synthetic.randomness import Picker, pick
from referrals.models import PostcodeArea
from referrals.permissions import TRIAGE_ROLES
from vcse.models import Service

#: Postcodes and LSOAs start with Q, which no real UK postcode does.
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_POSTCODES_PER_PCN = 50
_POSTCODES_PER_LSOA = 5
_MAX_POSTCODES = 4_995
#: How many distinct area names there are, for PCNs and VCSE organisations together.
AREA_NAME_COUNT = len(names.AREA_STARTS) * len(names.AREA_ENDS)
_WTE = Picker({Decimal("1.00"): 50, Decimal("0.80"): 25, Decimal("0.60"): 15, Decimal("0.50"): 10})


@dataclass(frozen=True)
class Staff:
    membership: str
    user: str
    role: str


@dataclass
class TeamInfo:
    """A care team and who in it does what."""

    id: str
    name: str
    pcn: str | None  # the hosting PCN's id, for PCN teams
    practices: list[str] = field(default_factory=list)  # the PCN's practices
    staff: list[Staff] = field(default_factory=list)

    @cached_property
    def triagers(self) -> list[Staff]:
        return [s for s in self.staff if s.role in TRIAGE_ROLES]

    @cached_property
    def workers(self) -> list[Staff]:
        """Named workers: practitioners other than the lead (leads triage and supervise)."""
        return [s for s in self.staff
                if s.role in PRACTITIONER_ROLES and s.role != Role.CLINICAL_LEAD]

    @cached_property
    def therapists(self) -> list[Staff]:
        return [s for s in self.staff
                if s.role in {Role.PSYCHOLOGIST, Role.PSYCHOTHERAPIST, Role.CAP}]

    @cached_property
    def non_clinical(self) -> list[Staff]:
        return [s for s in self.staff if s.role in {Role.PEER_SUPPORT, Role.CONNECTOR}]


@dataclass
class Partner:
    """A VCSE organisation, its open services and the workers who log its contacts."""

    id: str
    name: str
    services: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (id, categories)
    workers: list[Staff] = field(default_factory=list)


@dataclass
class Place:
    """What the row generators need to know about one synthetic tenant."""

    index: int
    tenant_id: str
    slug: str
    name: str
    re_referral_window: int
    pcn_teams: list[TeamInfo]
    city_team: TeamInfo
    partners: list[Partner]
    #: Postcodes by IMD decile (1 to 10): (postcode, LSOA code).
    postcodes: dict[int, list[tuple[str, str]]]
    orm_rows: int = 0  # rows written by the ORM for this tenant

    @cached_property
    def practices(self) -> list[tuple[str, TeamInfo]]:
        """Every practice with the team of its PCN."""
        return [(practice, team) for team in self.pcn_teams for practice in team.practices]

    @cached_property
    def services(self) -> list[tuple[str, tuple[str, ...], Partner]]:
        return [(sid, cats, partner) for partner in self.partners for sid, cats in partner.services]


class _Builder:
    """Collects one tenant's small rows, then saves them with one bulk_create per model."""

    def __init__(self, *, index: int, slug: str, name: str, rng: random.Random) -> None:
        self.index, self.slug, self.rng = index, slug, rng
        self.tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name)
        self.organisations: list[Organisation] = []
        self.teams: list[Team] = []
        self.users: list[User] = []
        self.memberships: list[Membership] = []
        self.team_memberships: list[TeamMembership] = []
        self.services: list[Service] = []
        self.postcodes: list[PostcodeArea] = []
        self._emails: set[str] = set()

    def organisation(self, kind: str, name: str, *, parent: Organisation | None = None,
                     ods_code: str = "", go_live: dt.date | None = None) -> Organisation:
        org = Organisation(id=uuid.uuid4(), tenant=self.tenant, kind=kind, name=name,
                           parent=parent, ods_code=ods_code, go_live_date=go_live)
        self.organisations.append(org)
        return org

    def team(self, name: str, kind: str, host: Organisation) -> Team:
        team = Team(id=uuid.uuid4(), tenant=self.tenant, name=name, kind=kind, host=host)
        self.teams.append(team)
        return team

    def staff(self, role: str, employer: Organisation, *, team: Team | None = None) -> Staff:
        """A user, their membership and (optionally) their place in a team."""
        female = self.rng.random() < 0.7  # the workforce is mostly women
        first = pick(self.rng, names.FEMALE_GIVEN if female else names.MALE_GIVEN)
        last = pick(self.rng, names.FAMILY)
        local = f"{_letters(first)}.{_letters(last)}"
        email = f"{local}@{self.slug}.test"
        number = 1
        while email in self._emails:  # unique in the tenant, and the domain is the tenant's
            number += 1
            email = f"{local}{number}@{self.slug}.test"
        self._emails.add(email)
        user = User(id=uuid.uuid4(), email=email, first_name=first, last_name=last,
                    password=make_password(None), is_staff=role == Role.TENANT_ADMIN)
        honorary = team is not None and team.host_id != employer.id
        membership = Membership(id=uuid.uuid4(), tenant=self.tenant, user=user, role=role,
                                employer=employer, honorary_contract=honorary,
                                wte=_WTE(self.rng))
        self.users.append(user)
        self.memberships.append(membership)
        if team is not None:
            self.team_memberships.append(TeamMembership(
                id=uuid.uuid4(), tenant=self.tenant, membership=membership, team=team))
        return Staff(str(membership.id), str(user.id), role)

    def save(self) -> int:
        """Write everything collected; returns the number of rows."""
        batches = [[self.tenant], self.organisations, self.teams, self.users, self.memberships,
                   self.team_memberships, self.services, self.postcodes]
        for batch in batches:
            type(batch[0]).objects.bulk_create(batch)
        return sum(len(batch) for batch in batches)


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def area_names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct made-up area names."""
    every = [start + end for start, end in product(names.AREA_STARTS, names.AREA_ENDS)]
    return rng.sample(every, count)


def build_place(*, index: int, slug: str, name: str, pcns: int, referrals: int,
                period_start: dt.date, rng: random.Random) -> Place:
    """Create one tenant's organisations, teams, staff, services and postcodes (in the
    caller's transaction) and describe them for the row generators."""
    b = _Builder(index=index, slug=slug, name=name, rng=rng)
    vcse_count = min(8, max(2, pcns // 3))
    areas = area_names(rng, pcns + vcse_count)
    place_org = b.organisation(OrganisationKind.PLACE, f"{name} place")
    trust = b.organisation(OrganisationKind.MH_TRUST, f"{name} Mental Health Trust")
    vcse_orgs = [b.organisation(OrganisationKind.VCSE,
                                f"{areas[pcns + i]} {pick(rng, names.VCSE_KINDS)}")
                 for i in range(vcse_count)]
    vcse_teams = [b.team(f"{org.name} service", TeamKind.VCSE_SERVICE, org) for org in vcse_orgs]
    # A busier service has more practitioners per team: about one per 350 referrals.
    mhps = min(8, max(2, round(referrals / (pcns + 1) / 350)))
    pcn_teams: list[TeamInfo] = []
    practice_number = 0
    practice = place_org  # replaced by the last practice made, for the practice user
    for i in range(pcns):
        # Most PCNs went live before the period; some during it (the "transformed" split).
        went_live = period_start - dt.timedelta(days=rng.randrange(30, 700))
        if rng.random() < 0.3:
            went_live = period_start + dt.timedelta(days=rng.randrange(0, 540))
        pcn = b.organisation(OrganisationKind.PCN, f"{areas[i]} PCN", parent=place_org,
                             ods_code=f"U{i + 1:05d}", go_live=went_live)
        team = b.team(f"{areas[i]} PCN mental health team", TeamKind.PCN_TEAM, pcn)
        info = TeamInfo(str(team.id), team.name, str(pcn.id))
        for _ in range(rng.randint(3, 7)):
            practice_number += 1
            practice = b.organisation(
                OrganisationKind.GP_PRACTICE, f"{areas[i]} {pick(rng, names.STREETS)} Surgery",
                parent=pcn, ods_code=f"Y{practice_number:05d}")
            info.practices.append(str(practice.id))
        roles = [Role.CLINICAL_LEAD, *[Role.MHP] * mhps,
                 Role.PSYCHOLOGIST if i % 2 else Role.CAP, Role.PEER_SUPPORT]
        info.staff = [b.staff(role, trust, team=team) for role in roles]
        info.staff.append(b.staff(Role.CONNECTOR, vcse_orgs[i % vcse_count], team=team))
        pcn_teams.append(info)
    city = b.team(f"{name} city-wide team", TeamKind.CITY_WIDE, trust)
    city_team = TeamInfo(str(city.id), city.name, None)
    city_team.staff = [b.staff(role, trust, team=city) for role in (
        Role.CLINICAL_LEAD, Role.MHP, Role.OCCUPATIONAL_THERAPIST, Role.PHARMACIST,
        Role.HEALTH_COACH, Role.PSYCHOTHERAPIST)]
    partners = []
    for org, team in zip(vcse_orgs, vcse_teams, strict=True):
        partner = Partner(str(org.id), org.name)
        b.staff(Role.VCSE_LEAD, org, team=team)
        partner.workers = [b.staff(Role.VCSE_WORKER, org, team=team) for _ in range(2)]
        for service_name, categories in rng.sample(names.SERVICES, rng.randint(1, 2)):
            service = Service(id=uuid.uuid4(), tenant=b.tenant, organisation=org,
                              name=service_name, categories=list(categories),
                              description=f"{service_name} from {org.name}.",
                              email=f"referrals@{b.slug}.test")
            b.services.append(service)
            partner.services.append((str(service.id), categories))
        partners.append(partner)
    b.staff(Role.PROGRAMME_MANAGER, place_org)
    b.staff(Role.TENANT_ADMIN, place_org)
    b.staff(Role.GP_PRACTICE, practice)
    postcodes = _postcodes(b, count=min(_MAX_POSTCODES, _POSTCODES_PER_PCN * pcns))
    rows = b.save()
    return Place(index=index, tenant_id=str(b.tenant.id), slug=slug, name=name,
                 re_referral_window=b.tenant.re_referral_window_days, pcn_teams=pcn_teams,
                 city_team=city_team, partners=partners, postcodes=postcodes, orm_rows=rows)


def _postcodes(b: _Builder, *, count: int) -> dict[int, list[tuple[str, str]]]:
    """Made-up postcodes grouped in LSOAs, with deprivation deciles spread evenly over LSOAs."""
    area = "Q" + "ABCDEFGHJKLMNOPRSTUWYZ"[b.index % 22]
    seen: set[str] = set()
    by_decile: dict[int, list[tuple[str, str]]] = {decile: [] for decile in range(1, 11)}
    while len(seen) < count:
        code = (f"{area}{b.rng.randint(1, 99)} {b.rng.randint(0, 9)}"
                f"{pick(b.rng, _UNIT_LETTERS)}{pick(b.rng, _UNIT_LETTERS)}")
        if code in seen:
            continue
        number = len(seen) // _POSTCODES_PER_LSOA
        seen.add(code)
        lsoa = f"E019{b.index % 100:02d}{number:03d}"
        decile = (number * 7 + b.index) % 10 + 1
        b.postcodes.append(PostcodeArea(id=uuid.uuid4(), tenant=b.tenant, postcode=code,
                                        lsoa_code=lsoa, imd_decile=decile))
        by_decile[decile].append((code, lsoa))
    return by_decile
