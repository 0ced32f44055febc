"""The tenant admin: scoped to one tenant, every change audited in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from pcns.models import AuditEvent, Organisation, Team
from pcns.services import audit_record
from pcns.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def test_a_tenant_admin_sees_only_their_own_tenants_organisations(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    body = client.get(reverse("admin:pcns_organisation_changelist")).content.decode()
    assert "Northtown Central PCN" in body
    assert "Southvale" not in body


def test_a_tenant_admin_sees_only_their_own_staff_accounts(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    body = client.get(reverse("admin:pcns_user_changelist")).content.decode()
    assert tenant_a.clinician.email in body and tenant_b.clinician.email not in body


def test_creating_a_team_in_the_admin_sets_the_tenant_and_writes_an_audit_event(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("admin:pcns_team_add"), {
        "name": "Northtown Crisis Liaison", "kind": "city_wide", "host": str(tenant_a.trust.pk),
        "is_active": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(tenant_a.tenant.pk):
        team = Team.objects.get(name="Northtown Crisis Liaison")
        assert team.tenant_id == tenant_a.tenant.pk
        event = AuditEvent.objects.get(target_id=str(team.pk))
        assert (event.action, event.actor_id) == ("create", tenant_a.tenant_admin.pk)


def test_the_admin_offers_only_this_tenants_organisations_as_hosts(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    body = client.get(reverse("admin:pcns_team_add")).content.decode()
    assert str(tenant_a.trust.pk) in body and str(tenant_b.trust.pk) not in body


def test_a_clinician_cannot_use_the_admin(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("admin:pcns_organisation_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_go_live_date_on_a_practice_is_refused_with_a_message(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("admin:pcns_organisation_add"), {
        "name": "New Surgery", "kind": "gp_practice", "ods_code": "C12345",
        "go_live_date": "2024-01-01",
    })
    assert response.status_code == 200
    assert "Only a PCN has a go-live date." in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Organisation.objects.filter(name="New Surgery").exists()


def test_an_audit_event_is_lost_with_the_change_it_records_when_that_rolls_back(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        before = AuditEvent.objects.count()
        with pytest.raises(RuntimeError), transaction.atomic():
            audit_record(actor=tenant_a.tenant_admin, action="change", target=tenant_a.pcn,
                         fields=["name"])
            raise RuntimeError("the change failed")
        assert AuditEvent.objects.count() == before


def test_the_audit_log_stores_field_names_not_values(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        event = audit_record(actor=tenant_a.tenant_admin, action="change", target=tenant_a.pcn,
                             fields=["name", "ods_code"])
        assert event.fields == ["name", "ods_code"]
        assert event.target_type == "pcns.organisation"
        assert event.target_id == str(tenant_a.pcn.pk)


def test_the_audit_log_is_read_only_in_the_admin(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    assert client.get(reverse("admin:pcns_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:pcns_auditevent_add")).status_code == 403
