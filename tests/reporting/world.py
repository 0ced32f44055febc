"""A small hand-built tenant for metric tests, where every answer can be worked out by hand.

Records are written straight to the tables (inside the tenant's context, so row-level security
applies): a metric test needs exact dates, including back-dated ones, rather than a journey
through the services. Dates are ISO strings or dates.

    world = World.build("metrics")
    person = world.person()
    referral = world.referral(person, received="2024-03-01", status="active", ...)
    world.contact(referral, "2024-03-05")
    world.refresh("2024-03-31")
    world.value("RS01", "2024-03")  # a MetricValue, or None when nothing was stored
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
)
from pcns.models import Membership, Organisation, Team, TeamMembership, Tenant, User
from pcns.tenancy import tenant_context
from referrals.models import Person, Referral
from reporting.models import MetricValue, RefreshRun, RefreshTrigger
from reporting.selectors import current_run
from reporting.services import refresh_now
from vcse.models import Consent, OnwardReferral, Service, VcseContact

_serial = itertools.count(1)


def day(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def month(value: str) -> dt.date:
    """'2024-03' -> 1 March 2024 (the period key)."""
    return dt.date.fromisoformat(f"{value}-01")


@dataclass
class World:
    tenant: Tenant
    pcn_a: Organisation  # live in the new model since 2020
    pcn_b: Organisation  # not live yet
    practice_a: Organisation
    practice_b: Organisation
    lcp: Organisation
    vcse_org: Organisation
    team_a: Team  # PCN A's mental health team
    team_b: Team
    hub: Team  # hosted by the LCP: no PCN of its own
    vcse_team: Team
    service: Service
    staff: dict[str, Membership] = field(default_factory=dict)

    # ------------------------------------------------------------------ setting up

    @classmethod
    def build(cls, slug: str = "metrics") -> World:
        tenant_id = uuid.uuid4()
        with tenant_context(tenant_id):
            tenant = Tenant.objects.create(id=tenant_id, slug=slug, name=slug.title())

            def org(kind: str, name: str, **extra) -> Organisation:
                return Organisation.objects.create(tenant=tenant, kind=kind, name=name, **extra)

            lcp = org("lcp", "Central LCP")
            pcn_a = org("pcn", "Alpha PCN", parent=lcp, go_live_date=dt.date(2020, 1, 1))
            pcn_b = org("pcn", "Beta PCN", parent=lcp)
            vcse_org = org("vcse", "Mind in the City")
            world = cls(
                tenant=tenant, pcn_a=pcn_a, pcn_b=pcn_b, lcp=lcp, vcse_org=vcse_org,
                practice_a=org("gp_practice", "Alpha Surgery", parent=pcn_a),
                practice_b=org("gp_practice", "Beta Surgery", parent=pcn_b),
                team_a=Team.objects.create(tenant=tenant, name="Alpha MHT", kind="pcn_team",
                                           host=pcn_a),
                team_b=Team.objects.create(tenant=tenant, name="Beta MHT", kind="pcn_team",
                                           host=pcn_b),
                hub=Team.objects.create(tenant=tenant, name="City hub", kind="hub", host=lcp),
                vcse_team=Team.objects.create(tenant=tenant, name="Mind service",
                                              kind="vcse_service", host=vcse_org),
                service=Service.objects.create(tenant=tenant, organisation=vcse_org,
                                               name="Money advice", categories=["debt_advice"]),
            )
            for label, role, team, employer, wte in (
                ("mhp_a", "mhp", world.team_a, pcn_a, "1.00"),
                ("psych_a", "psychologist", world.team_a, pcn_a, "0.50"),
                ("mhp_b", "mhp", world.team_b, pcn_b, None),
                ("connector", "connector", world.team_a, vcse_org, "1.00"),
                ("vcse_worker", "vcse_worker", world.vcse_team, vcse_org, None),
            ):
                user = User.objects.create(email=f"{label}@{slug}.test", first_name=label,
                                           last_name="Staff")
                membership = Membership.objects.create(
                    tenant=tenant, user=user, role=role, employer=employer,
                    wte=Decimal(wte) if wte else None,
                )
                TeamMembership.objects.create(tenant=tenant, membership=membership, team=team)
                world.staff[label] = membership
        return world

    def _tenant(self):
        return tenant_context(self.tenant.pk)

    def _user(self) -> User:
        return self.staff["mhp_a"].user

    # ------------------------------------------------------------------ records

    def person(self, *, born: str = "1980-01-01", gender: str = "female", sex: str = "",
               ethnicity: str = "A", practice: Organisation | str | None = "a",
               imd_decile: int | None = None) -> Person:
        if practice == "a":
            practice = self.practice_a
        with self._tenant():
            return Person.objects.create(
                tenant=self.tenant, nhs_number="", nhs_number_missing_reason="not_yet_traced",
                given_name="Test", family_name=f"Person {next(_serial)}",
                date_of_birth=day(born), sex=sex or (gender if gender in {"male", "female"}
                                                     else "not_known"),
                gender=gender, ethnicity=ethnicity, registered_practice=practice,
                imd_decile=imd_decile,
            )

    def referral(self, person: Person, *, received: str, team: Team | None = None,
                 status: str = "awaiting_triage", triaged: str | None = None,
                 worker: str | None = None, allocated: str | None = None,
                 discharged: str | None = None, source: str = "gp", urgency: str = "routine",
                 rejection_reason: str = "", redirect_destination: str = "",
                 discharge_reason: str = "", previous: Referral | None = None) -> Referral:
        with self._tenant():
            return Referral.objects.create(
                tenant=self.tenant, person=person, team=team or self.team_a, source=source,
                received_on=day(received), urgency=urgency, status=status,
                triaged_on=day(triaged), rejection_reason=rejection_reason,
                redirect_destination=redirect_destination,
                worker=self.staff[worker] if worker else None, allocated_on=day(allocated),
                discharged_on=day(discharged), discharge_reason=discharge_reason,
                previous_referral=previous,
            )

    def contact(self, referral: Referral | None, on: str, *, mode: str = "telephone",
                attendance: str = "attended", at: str | None = None, staff: str = "mhp_a",
                team: Team | None = None, direct: bool = True) -> Contact:
        member = self.staff[staff]
        with self._tenant():
            return Contact.objects.create(
                tenant=self.tenant, referral=referral,
                team=team or (referral.team if referral else self.team_a), staff=member,
                staff_role=member.role, on=day(on), at=dt.time.fromisoformat(at) if at else None,
                mode=mode, attendance=attendance, direct=direct, purpose="support",
                recorded_by=self._user(),
            )

    def assessment(self, referral: Referral, on: str, kind: str = "initial") -> Assessment:
        with self._tenant():
            return Assessment.objects.create(
                tenant=self.tenant, referral=referral, kind=kind, assessed_on=day(on),
                assessor=self.staff["mhp_a"], summary="Assessed", recorded_by=self._user(),
            )

    def care_plan(self, referral: Referral, *agreed: str | None) -> CarePlan:
        """A plan with one version per date given (None: a draft version)."""
        with self._tenant():
            plan = CarePlan.objects.create(tenant=self.tenant, referral=referral,
                                           version=len(agreed))
            for number, agreed_on in enumerate(agreed, start=1):
                CarePlanVersion.objects.create(
                    tenant=self.tenant, plan=plan, number=number, goals=["Feel better"],
                    agreed_on=day(agreed_on), review_trigger="If things change",
                    safety_plan="Call the team", recorded_by=self._user(),
                )
            return plan

    def intervention(self, referral: Referral, started: str,
                     kind: str = "psychological_therapy") -> Intervention:
        with self._tenant():
            return Intervention.objects.create(
                tenant=self.tenant, referral=referral, kind=kind, started_on=day(started),
                delivered_by=self.staff["mhp_a"], recorded_by=self._user(),
            )

    def outcome(self, referral: Referral, on: str, *, tool: str = "dialog",
                items: list[int] | None = None) -> OutcomeMeasure:
        """An outcome measure scored as the service would (caseload.codes.TOOLS)."""
        from caseload.codes import TOOLS

        spec = TOOLS[tool]
        items = items if items is not None else [spec.minimum + 1] * len(spec.items)
        score, subscores = spec.score(items)
        with self._tenant():
            return OutcomeMeasure.objects.create(
                tenant=self.tenant, referral=referral, tool=tool, completed_on=day(on),
                items=items, score=score, subscores=subscores, recorded_by=self._user(),
            )

    def onward(self, referral: Referral, sent: str, *, status: str = "sent",
               responded: str | None = None, closed: str | None = None,
               service: Service | None = None) -> OnwardReferral:
        service = service or self.service
        with self._tenant():
            onward = OnwardReferral.objects.create(
                tenant=self.tenant, referral=referral, person=referral.person, service=service,
                organisation=service.organisation, sent_on=day(sent), sent_by=self._user(),
                reason="Debts", shared={}, status=status, responded_on=day(responded),
                closed_on=day(closed),
            )
            Consent.objects.create(
                tenant=self.tenant, onward_referral=onward, organisation=service.organisation,
                given_by="person", given_on=day(sent), purpose="Money advice",
                expires_on=day(sent) + dt.timedelta(days=365), recorded_by=self._user(),
            )
            return onward

    def vcse_contact(self, onward: OnwardReferral, on: str, *, attendance: str = "attended",
                     mode: str = "telephone", support: list[str] | None = None) -> VcseContact:
        with self._tenant():
            return VcseContact.objects.create(
                tenant=self.tenant, onward_referral=onward, organisation=onward.organisation,
                staff=self.staff["vcse_worker"], on=day(on), mode=mode, attendance=attendance,
                support_types=support if support is not None else ["debt_advice"],
                recorded_by=self.staff["vcse_worker"].user,
            )

    # ------------------------------------------------------------------ reading figures

    def refresh(self, as_of: str) -> RefreshRun:
        with self._tenant():
            run = refresh_now(trigger=RefreshTrigger.COMMAND, as_of=day(as_of))
        assert run.status == "succeeded", run.error
        return run

    def values(self, code: str, period: str | None = None) -> list[MetricValue]:
        with self._tenant():
            run = current_run(self.tenant.pk)
            rows = MetricValue.objects.filter(tenant=self.tenant, run=run, code=code)
            if period:
                rows = rows.filter(period=month(period))
            return list(rows)

    def value(self, code: str, period: str, *, dimension: str = "tenant", key: object = "",
              category: str = "") -> MetricValue | None:
        key = str(getattr(key, "pk", key))
        matches = [v for v in self.values(code, period)
                   if v.dimension == dimension and v.dimension_key == key
                   and v.category == category]
        assert len(matches) <= 1, matches
        return matches[0] if matches else None

    def count(self, code: str, period: str, **where) -> int | None:
        """The stored count (the numerator), None when no row was stored."""
        found = self.value(code, period, **where)
        return None if found is None else found.numerator

    def number(self, code: str, period: str, **where) -> Decimal | None:
        """The stored value (a percentage, median, mean ...), None when not stored."""
        found = self.value(code, period, **where)
        return None if found is None else found.value
