"""Load the demo tenants (pcns/demo_data.py) into the database.

Ids are derived from the tenant slug and each record's key (uuid5), so the demo has stable URLs
and loading it twice changes nothing. Runs as the application role, one tenant context at a time,
so row-level security checks every row it writes.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from pcns import demo_data
from pcns.models import (
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

NAMESPACE = uuid.UUID("5b0c1d8e-3f65-4c8e-9a57-6d1f0e2b7a10")


def demo_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, "/".join(parts))


def demo_tenant_ids() -> dict[str, uuid.UUID]:
    return {spec["slug"]: demo_id(spec["slug"]) for spec in demo_data.TENANTS}


def tenant_exists(tenant_id: uuid.UUID) -> bool:
    with tenant_context(tenant_id):
        return Tenant.objects.filter(pk=tenant_id).exists()


@transaction.atomic
def load_tenant(spec: dict, *, password: str) -> Tenant:
    """Create one demo tenant with its organisations, teams and staff."""
    slug = spec["slug"]
    tenant_id = demo_id(slug)
    with tenant_context(tenant_id):
        tenant = Tenant.objects.create(id=tenant_id, slug=slug, name=spec["name"],
                                       metrics_months=spec.get("metrics_months", 24))
        organisations: dict[str, Organisation] = {}
        pending = list(spec["organisations"])
        while pending:  # parents first, whatever order the data lists them in
            progressed = False
            for org in list(pending):
                if org["parent"] and org["parent"] not in organisations:
                    continue
                organisations[org["key"]] = Organisation.objects.create(
                    id=demo_id(slug, "org", org["key"]),
                    tenant=tenant,
                    kind=org["kind"],
                    name=org["name"],
                    ods_code=org.get("ods_code", ""),
                    parent=organisations.get(org["parent"]) if org["parent"] else None,
                    go_live_date=org.get("go_live_date"),
                    registered_population=org.get("population"),
                )
                for index, (starts, ends, reason) in enumerate(org.get("intake_pauses", [])):
                    IntakePause.objects.create(
                        id=demo_id(slug, "pause", org["key"], str(index)),
                        tenant=tenant, organisation=organisations[org["key"]],
                        starts_on=starts, ends_on=ends, reason=reason,
                    )
                pending.remove(org)
                progressed = True
            if not progressed:
                raise ValueError(f"Unresolvable organisation parents in {slug}: {pending}")

        teams = {
            team["key"]: Team.objects.create(
                id=demo_id(slug, "team", team["key"]), tenant=tenant, name=team["name"],
                kind=team["kind"], host=organisations[team["host"]],
            )
            for team in spec["teams"]
        }
        # Every demo account shares one password: hash it once, not once per account (a
        # PBKDF2 hash takes a third of a second, which over 78 accounts was half the seed time).
        hashed = make_password(password)
        for person in spec["staff"]:
            user = User.objects.create(
                email=User.objects.normalize_email(person["email"]).lower(), password=hashed,
                first_name=person["first_name"], last_name=person["last_name"],
            )
            employer = person.get("practice") or person["employer"]
            membership = Membership.objects.create(
                id=demo_id(slug, "staff", person["email"]), tenant=tenant, user=user,
                role=person["role"], employer=organisations[employer],
                honorary_contract=person.get("honorary", False),
                wte=Decimal(person["wte"]) if person.get("wte") else None,
            )
            TeamMembership.objects.bulk_create(
                TeamMembership(tenant=tenant, membership=membership, team=teams[key])
                for key in person["teams"]
            )
            membership_sync_staff_flag(membership=membership)
    return tenant


def demo_signins() -> list[dict[str, str]]:
    """One sign-in per demo role label and tenant, for the quick start's printout."""
    rows = []
    for spec in demo_data.TENANTS:
        for person in spec["staff"]:
            if person.get("demo_login"):
                rows.append({
                    "tenant": spec["name"],
                    "label": person["demo_login"],
                    "email": person["email"],
                    "name": f"{person['first_name']} {person['last_name']}",
                })
    order = list(demo_data.DEMO_LOGINS)
    tenants = [spec["name"] for spec in demo_data.TENANTS]
    return sorted(rows, key=lambda r: (tenants.index(r["tenant"]), order.index(r["label"])))
