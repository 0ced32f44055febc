"""Factories and the fixed cast of users per tenant.

Tenant rows can only be written inside that tenant's context (row-level security checks every
insert), so ``build_tenant`` does all its work inside ``tenant_context``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from caseload import services as care_services
from caseload.models import RiskConcern
from pcns.models import (
    AuditEvent,
    ExternalId,
    ImportRun,
    IntakePause,
    Invitation,
    Membership,
    Organisation,
    SingleSignOn,
    SingleSignOnIdentity,
    Team,
    TeamMembership,
    Tenant,
    User,
)
from pcns.services import membership_sync_staff_flag
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import IntakeRefusal, Person, Referral, Revision
from referrals.validators import nhs_number_check_digit
from reporting.models import MetricValue, RefreshRun
from vcse import services as vcse_services
from vcse.models import OnwardMessage, OnwardReferral, Service

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Cast:
    """One tenant with a user in every role and at least one row in every tenant-owned table."""

    tenant: Tenant
    pcn: Organisation
    practice: Organisation
    trust: Organisation
    vcse: Organisation
    pcn_team: Team
    other_pcn_team: Team
    vcse_team: Team
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, name: str) -> User:
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name) from None


#: label -> (role, team attribute or None, employer attribute)
ROLES = {
    "clinician": ("mhp", "pcn_team", "trust"),
    "team_lead": ("clinical_lead", "pcn_team", "trust"),
    "connector": ("connector", "pcn_team", "vcse"),
    "peer_support": ("peer_support", "pcn_team", "trust"),
    "other_clinician": ("mhp", "other_pcn_team", "trust"),
    "vcse_worker": ("vcse_worker", "vcse_team", "vcse"),
    "vcse_lead": ("vcse_lead", "vcse_team", "vcse"),
    "gp": ("gp_practice", None, "practice"),
    "programme_manager": ("programme_manager", None, "pcn"),
    "tenant_admin": ("tenant_admin", None, "pcn"),
}


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email, PASSWORD, **extra)


def build_tenant(slug: str) -> Cast:
    tenant_id = uuid.uuid4()
    town = slug.title()
    with tenant_context(tenant_id):
        tenant = Tenant.objects.create(id=tenant_id, slug=slug, name=slug.title())
        place = Organisation.objects.create(tenant=tenant, kind="place", name=f"{town} place")
        pcn = Organisation.objects.create(
            tenant=tenant, kind="pcn", name=f"{town} Central PCN", parent=place,
            ods_code=f"U{zlib.crc32(slug.encode()) % 100000:05d}", go_live_date="2020-06-01",
        )
        other_pcn = Organisation.objects.create(
            tenant=tenant, kind="pcn", name=f"{town} North PCN", parent=place
        )
        practice = Organisation.objects.create(
            tenant=tenant, kind="gp_practice", name=f"{town} Surgery", parent=pcn
        )
        trust = Organisation.objects.create(tenant=tenant, kind="mh_trust", name=f"{town} Trust")
        vcse = Organisation.objects.create(tenant=tenant, kind="vcse", name=f"{town} Mind")
        IntakePause.objects.create(
            tenant=tenant, organisation=pcn, starts_on="2021-08-01", ends_on="2021-10-31",
            reason="Clearing a backlog",
        )
        cast = Cast(
            tenant=tenant, pcn=pcn, practice=practice, trust=trust, vcse=vcse,
            pcn_team=Team.objects.create(tenant=tenant, name=f"{town} Central MHT",
                                         kind="pcn_team", host=pcn),
            other_pcn_team=Team.objects.create(tenant=tenant, name=f"{town} North MHT",
                                               kind="pcn_team", host=other_pcn),
            vcse_team=Team.objects.create(tenant=tenant, name=f"{town} Mind service",
                                          kind="vcse_service", host=vcse),
        )
        for label, (role, team_attr, employer_attr) in ROLES.items():
            user = make_user(f"{label}@{slug}.test", first_name=label.title(), last_name=slug)
            membership = Membership.objects.create(
                tenant=tenant, user=user, role=role, employer=getattr(cast, employer_attr),
                honorary_contract=employer_attr not in {"pcn", "practice"}, wte=Decimal("0.8"),
            )
            if team_attr:
                TeamMembership.objects.create(
                    tenant=tenant, membership=membership, team=getattr(cast, team_attr)
                )
            membership_sync_staff_flag(membership=membership)
            cast.users[label] = user
        AuditEvent.objects.create(
            tenant=tenant, actor=cast.users["tenant_admin"], actor_label="Admin",
            action="create", target_type="pcns.team", target_id=str(cast.pcn_team.pk),
        )
        _referral_rows(cast)
        _care_rows(cast)
        _vcse_rows(cast)
        _dataset_rows(cast)
        _invitation_rows(cast)
        _reporting_rows(cast)
        _sso_rows(cast)
    return cast


# --------------------------------------------------------------------------- people, referrals

_nhs_numbers = itertools.count(1)


def fresh_nhs_number() -> str:
    """A valid NHS number from the range reserved for testing (999 ...), new on every call."""
    while True:
        first_nine = f"999{next(_nhs_numbers):06d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"


def person_input(cast: Cast, **overrides) -> referral_services.PersonInput:
    values = {
        "given_name": "Alex",
        "family_name": f"Example{zlib.crc32(uuid.uuid4().bytes) % 10000}",
        "date_of_birth": dt.date(1985, 4, 12),
        "sex": "female",
        "gender": "female",
        "ethnicity": "A",
        "nhs_number": fresh_nhs_number(),
        "postcode": "S1 2HE",
        "registered_practice": cast.practice,
        "phone": "07700 900123",
    }
    values.update(overrides)
    return referral_services.PersonInput(**values)


def make_person(cast: Cast, **overrides) -> Person:
    with tenant_context(cast.tenant.pk):
        return referral_services.person_create(
            actor=cast.users["clinician"], data=person_input(cast, **overrides)
        )


def referral_input(cast: Cast, **overrides) -> referral_services.ReferralInput:
    values = {
        "team": cast.pcn_team,
        "source": "gp",
        "received_on": timezone.localdate() - dt.timedelta(days=3),
        "presenting_needs": ["low_mood", "anxiety"],
        "urgency": "routine",
        "referrer_name": "Dr Patel",
        "referrer_organisation": cast.practice,
    }
    values.update(overrides)
    return referral_services.ReferralInput(**values)


def make_referral(cast: Cast, person: Person | None = None, actor: User | None = None,
                  **overrides) -> Referral:
    """A referral awaiting triage in the cast's PCN team (unless overridden)."""
    person = person or make_person(cast)
    with tenant_context(cast.tenant.pk):
        return referral_services.referral_create(
            actor=actor or cast.users["clinician"], person=person,
            data=referral_input(cast, **overrides),
        )


def _referral_rows(cast: Cast) -> None:
    """A row in every referrals table, so isolation tests have something to leak."""
    referral_services.postcode_areas_load(
        rows=[{"postcode": "S1 2HE", "lsoa_code": "E01033264", "imd_decile": "3"}]
    )
    clinician = cast.users["clinician"]
    referral = make_referral(cast)
    referral = referral_services.referral_accept(referral=referral, actor=clinician,
                                                version=referral.version)
    referral_services.referral_allocate(
        referral=referral, actor=clinician, version=referral.version,
        worker=cast.users["clinician"].membership,
        joint_workers=[cast.users["peer_support"].membership],
    )
    duplicate = make_person(cast, nhs_number="", nhs_number_missing_reason="not_yet_traced",
                            given_name="Alexandra", family_name=referral.person.family_name,
                            date_of_birth=referral.person.date_of_birth)
    referral_services.person_merge(kept=referral.person, merged=duplicate, actor=clinician,
                                   reason="Same person, recorded twice")
    IntakeRefusal.objects.create(
        tenant=cast.tenant, team=cast.pcn_team, pause=cast.pcn.intake_pauses.first(),
        source="gp", received_on=dt.date(2021, 8, 2), refused_by=clinician,
    )


def _care_rows(cast: Cast) -> None:
    """A row in every caseload table, on the allocated referral of ``_referral_rows``."""
    clinician = cast.users["clinician"]
    referral = Referral.objects.get(tenant=cast.tenant, status="allocated")
    day = referral.received_on
    contact = care_services.contact_record(
        actor=clinician, referral=referral,
        data=care_services.ContactInput(on=day, mode="telephone", attendance="attended",
                                        purpose="assessment", duration_minutes=45),
    )
    care_services.assessment_record(
        referral=referral, actor=clinician,
        data=care_services.AssessmentInput(kind="initial", assessed_on=day, contact=contact,
                                           summary="Low mood since losing work",
                                           risk_summary="No current risk to self or others"),
    )
    care_services.care_plan_save(
        referral=referral, actor=clinician, version=None,
        data=care_services.CarePlanInput(goals=["Get back into a routine"],
                                         co_produced_with=["person"], agreed_on=day,
                                         review_trigger="If mood drops or work changes",
                                         safety_plan="Call the crisis line on 0800 000 0000"),
    )
    intervention = care_services.intervention_start(
        referral=referral, actor=clinician,
        data=care_services.InterventionInput(kind="psychosocial", started_on=day),
    )
    # An earlier version, as a correction keeps it (caseload/corrections.py), without the
    # correction's own event, so tests counting the referral's events are not disturbed.
    Revision.objects.create(
        tenant=cast.tenant, record_type="intervention", record_id=intervention.pk,
        referral=referral, person=referral.person, kind="amended",
        prior={"kind": "psychosocial", "description": "Walk and tlak", "started_on": str(day),
               "ended_on": None}, fields=["description"], reason="Typing mistake",
        actor=clinician, actor_label="Clinician",
    )
    care_services.outcome_record(referral=referral, actor=clinician, tool="phq9",
                                 completed_on=day, items=[1, 2, 1, 2, 1, 0, 1, 0, 0])
    RiskConcern.objects.create(tenant=cast.tenant, referral=referral,
                               raised_by=cast.users["peer_support"],
                               concern="Mentioned money worries and not sleeping")


# --------------------------------------------------------------------------- VCSE


def service_input(**overrides) -> vcse_services.ServiceInput:
    values = {
        "name": "Money and benefits advice",
        "categories": ["debt_advice", "welfare_benefits"],
        "description": "One-to-one advice on debt, benefits and bills.",
        "eligibility": "Adults in the city; no referral criteria beyond that.",
        "email": "advice@example.org",
        "phone": "0114 496 0000",
    }
    values.update(overrides)
    return vcse_services.ServiceInput(**values)


def make_service(cast: Cast, organisation: Organisation | None = None, **overrides) -> Service:
    with tenant_context(cast.tenant.pk):
        return vcse_services.service_create(actor=cast.users["tenant_admin"],
                                            organisation=organisation or cast.vcse,
                                            data=service_input(**overrides))


def onward_input(service: Service, **overrides) -> vcse_services.OnwardReferralInput:
    today = timezone.localdate()
    values = {
        "service": service,
        "reason": "Worried about rent arrears and would like help with a benefits check.",
        "needs": ["debt_advice", "welfare_benefits"],
        "consent_given_by": "person",
        "consent_given_on": today,
        "consent_purpose": "Money advice from this service",
        "consent_expires_on": today + dt.timedelta(days=180),
    }
    values.update(overrides)
    return vcse_services.OnwardReferralInput(**values)


def make_onward_referral(cast: Cast, referral: Referral | None = None,
                         service: Service | None = None, actor: User | None = None,
                         **overrides) -> OnwardReferral:
    """An onward referral, sent today with consent, from the cast's referral in care."""
    with tenant_context(cast.tenant.pk):
        referral = referral or Referral.objects.filter(
            tenant=cast.tenant, status__in=["allocated", "active"]).order_by("received_on").first()
        service = service or Service.objects.filter(organisation=cast.vcse).first()
        return vcse_services.onward_referral_send(
            referral=referral, actor=actor or cast.users["connector"],
            data=onward_input(service, **overrides))


def _vcse_rows(cast: Cast) -> None:
    """A row in every vcse table: a service, and an accepted onward referral with a contact."""
    service = vcse_services.service_create(actor=cast.users["tenant_admin"],
                                           organisation=cast.vcse,
                                           data=service_input(areas=[cast.pcn]))
    onward = make_onward_referral(cast, service=service)
    onward = vcse_services.onward_referral_accept(onward=onward, actor=cast.users["vcse_worker"],
                                                  version=onward.version)
    vcse_services.vcse_contact_log(
        onward=onward, actor=cast.users["vcse_worker"],
        data=vcse_services.VcseContactInput(on=onward.sent_on, mode="telephone",
                                            attendance="attended",
                                            support_types=["welfare_benefits"]),
    )
    # Written directly, already notified: the service would queue an email task that could
    # outlive the test (vcse/messages.py is tested in tests/vcse/test_messages.py).
    OnwardMessage.objects.create(
        tenant=cast.tenant, onward_referral=onward, organisation=cast.vcse, side="partner",
        author=cast.users["vcse_worker"], author_label="Vcse_Worker", notified_at=timezone.now(),
        body="We left a voicemail. Is a morning call better?")


def _dataset_rows(cast: Cast) -> None:
    """A row in the import tables: an external id kept from an earlier import, and its run."""
    ExternalId.objects.create(tenant=cast.tenant, kind="organisations",
                              external_id=f"{cast.tenant.slug}-pcn", record_id=cast.pcn.pk)
    ImportRun.objects.create(tenant=cast.tenant, created_by=cast.users["tenant_admin"],
                             file_name="organisations.zip", status="succeeded")


def _sso_rows(cast: Cast) -> None:
    """Single sign-on set up but turned off, and one person's linked identity."""
    issuer = f"https://idp.{cast.tenant.slug}.test"
    SingleSignOn.objects.create(tenant=cast.tenant, issuer=issuer,
                                client_id=f"{cast.tenant.slug}-client",
                                client_secret="factory-client-secret")
    SingleSignOnIdentity.objects.create(tenant=cast.tenant, issuer=issuer,
                                        membership=cast.users["vcse_lead"].membership,
                                        subject=f"{cast.tenant.slug}-vcse-lead")
def _invitation_rows(cast: Cast) -> None:
    """A used invitation: the clinician set their password from it (the token is not kept)."""
    now = timezone.now()
    Invitation.objects.create(
        tenant=cast.tenant, user=cast.users["clinician"], token_hash=uuid.uuid4().hex * 2,
        created_by=cast.users["tenant_admin"], created_at=now, expires_at=now, accepted_at=now)


def _reporting_rows(cast: Cast) -> None:
    """A row in the metric tables: a finished refresh with one stored figure."""
    now = timezone.now()
    run = RefreshRun.objects.create(tenant=cast.tenant, trigger="command", status="succeeded",
                                    as_of=timezone.localdate(), started_at=now, finished_at=now,
                                    values_written=1)
    period = timezone.localdate().replace(day=1)
    MetricValue.objects.create(tenant=cast.tenant, run=run, code="REF01", version=1,
                               period=period, period_end=timezone.localdate(),
                               dimension="tenant", dimension_label=cast.tenant.name,
                               numerator=0, value=0, computed_at=now)


def let_non_clinical_roles_see_the_team(cast: Cast, on: bool = True) -> None:
    """The tenant setting that lets peer support workers and connectors open every person of
    their teams, not only those allocated to them (tests/caseload/test_least_privilege.py)."""
    with tenant_context(cast.tenant.pk):
        Tenant.objects.filter(pk=cast.tenant.pk).update(non_clinical_team_access=on)
