"""Factories and the fixed cast of users per tenant.

Tenant rows can only be written inside that tenant's context (row-level security checks every
insert), so ``build_tenant`` does all its work inside ``tenant_context``.
"""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from pcns.models import (
    AuditEvent,
    IntakePause,
    Membership,
    Organisation,
    Team,
    TeamMembership,
    Tenant,
    User,
)
from pcns.services import membership_sync_staff_flag
from pcns.tenancy import tenant_context

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
    return cast
