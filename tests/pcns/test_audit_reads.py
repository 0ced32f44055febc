"""How reads are audited (pcns.audit): what a request showed, written once at its end."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals.models import Referral

pytestmark = pytest.mark.django_db

AUDIT_INSERT = 'INSERT INTO "pcns_auditevent"'


def _in_care(cast) -> Referral:
    with tenant_context(cast.tenant.pk):
        return Referral.objects.get(tenant=cast.tenant, status__in=["allocated", "active"])


def _views_since(cast, since, **filters) -> list[AuditEvent]:
    with tenant_context(cast.tenant.pk):
        return list(AuditEvent.objects.filter(at__gte=since, action="view", **filters))


def test_a_page_showing_a_person_and_their_referral_writes_both_in_one_insert(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.clinician)
    since = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("referrals:person-detail", args=[referral.person_id]))
    assert response.status_code == 200
    assert sum(q["sql"].startswith(AUDIT_INSERT) for q in queries) == 1
    shown = {(e.target_type, e.target_id) for e in _views_since(tenant_a, since)}
    assert shown == {("referrals.person", str(referral.person_id)),
                     ("referrals.referral", str(referral.pk))}


def test_a_form_with_errors_shows_the_person_again_and_is_audited(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.peer_support)
    since = timezone.now()
    response = client.post(reverse("caseload:risk-concern-new", args=[referral.pk]),
                           {"concern": ""})
    assert response.status_code == 400
    assert [e.note for e in _views_since(tenant_a, since)] == ["risk concern form"]


def test_a_form_that_saves_and_redirects_writes_no_view_row(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.peer_support)
    since = timezone.now()
    response = client.post(reverse("caseload:risk-concern-new", args=[referral.pk]),
                           {"concern": "Talked about not sleeping"})
    assert response.status_code == 302
    assert _views_since(tenant_a, since) == []
    with tenant_context(tenant_a.tenant.pk):  # the change itself is audited by its service
        assert AuditEvent.objects.filter(at__gte=since, action="create",
                                         target_type="caseload.riskconcern").count() == 1


def test_a_refused_request_writes_no_view_row(client, tenant_a):
    referral = _in_care(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    since = timezone.now()
    assert client.get(reverse("caseload:record", args=[referral.pk])).status_code == 404
    assert _views_since(tenant_a, since) == []


def test_an_api_read_is_audited_under_token_authentication(client, tenant_a):
    from rest_framework.authtoken.models import Token

    referral = _in_care(tenant_a)
    token = Token.objects.create(user=tenant_a.clinician)
    since = timezone.now()
    response = client.get(reverse("api:referral-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    views = _views_since(tenant_a, since, actor=tenant_a.clinician)
    assert ("referrals.referral", str(referral.pk)) in {(e.target_type, e.target_id)
                                                        for e in views}
