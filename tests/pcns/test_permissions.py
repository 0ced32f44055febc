"""The permission helpers answer per role, and never across tenants."""

from __future__ import annotations

import pytest

from pcns import permissions
from pcns.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _membership(cast, label):
    with tenant_context(cast.tenant.pk):
        user = cast.users[label]
        user.membership  # noqa: B018 - load it inside the tenant context
        return user


@pytest.mark.parametrize(
    "label,own_team,other_clinical_team,vcse_team",
    [
        ("clinician", True, True, False),
        ("peer_support", True, True, False),
        ("team_lead", True, True, True),
        ("vcse_worker", False, False, True),
        ("gp", False, False, False),
        ("programme_manager", True, True, True),
        ("tenant_admin", True, True, True),
    ],
)
def test_who_can_view_which_team(tenant_a, label, own_team, other_clinical_team, vcse_team):
    user = _membership(tenant_a, label)
    with tenant_context(tenant_a.tenant.pk):
        assert permissions.can_view_team(user, tenant_a.pcn_team) is own_team
        assert permissions.can_view_team(user, tenant_a.other_pcn_team) is other_clinical_team
        assert permissions.can_view_team(user, tenant_a.vcse_team) is vcse_team


def test_nobody_can_view_another_tenants_team_or_organisation(tenant_a, tenant_b):
    for label in tenant_b.users:
        user = _membership(tenant_b, label)
        with tenant_context(tenant_b.tenant.pk):
            assert not permissions.can_view_team(user, tenant_a.pcn_team)
            assert not permissions.can_view_organisation(user, tenant_a.pcn)


def test_only_tenant_admins_administer_and_read_the_audit_log(tenant_a):
    for label in tenant_a.users:
        user = _membership(tenant_a, label)
        with tenant_context(tenant_a.tenant.pk):
            assert permissions.can_administer_tenant(user) is (label == "tenant_admin")
            assert permissions.can_view_audit_log(user) is (label == "tenant_admin")


def test_a_clinician_sees_colleagues_in_shared_teams_only(tenant_a):
    user = _membership(tenant_a, "clinician")
    with tenant_context(tenant_a.tenant.pk):
        assert permissions.can_view_staff_member(user, tenant_a.team_lead.membership)
        assert not permissions.can_view_staff_member(user, tenant_a.other_clinician.membership)
