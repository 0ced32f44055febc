"""Every URL that takes an object id answers 404 to every user of another tenant."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.isolation.urls import NOBODY_IN_A_TENANT, urls_for

pytestmark = pytest.mark.django_db


def test_every_object_url_is_404_for_each_user_of_another_tenant(client, tenant_a, tenant_b):
    urls = urls_for(tenant_a)
    assert len(urls) >= 10
    for label, user in tenant_b.users.items():
        client.force_login(user)
        for name, url in urls:
            if name.startswith("admin:") and not user.is_staff:
                continue  # non-staff never reach admin views (redirected to sign in)
            response = client.get(url)
            assert response.status_code == 404, f"{label} got {response.status_code} for {name}"
        client.logout()


def test_tenant_b_admin_cannot_open_tenant_a_objects_in_the_admin(client, tenant_a, tenant_b):
    client.force_login(tenant_b.tenant_admin)
    admin_urls = [url for name, url in urls_for(tenant_a) if name.startswith("admin:")]
    assert admin_urls
    for url in admin_urls:
        assert client.get(url).status_code == 404, url
    ct = ContentType.objects.get(app_label="pcns", model="team")
    response = client.get(reverse("admin:view_on_site", args=[ct.pk, tenant_a.pcn_team.pk]))
    assert response.status_code == 404


# Who in tenant A can open each page or endpoint (everything else: the tenant admin), and the
# URLs that take POST only (405 for a GET from someone who may see the object).
OWNER = {"referrals:": "team_lead", "api:referral-": "team_lead", "api:person-detail": "team_lead",
         "api:contact-": "team_lead", "api:assessment-": "team_lead",
         "api:care-plan-": "team_lead", "api:intervention-": "team_lead",
         "api:outcome-measure-": "team_lead", "api:risk-concern-": "team_lead",
         "api:team-caseload": "team_lead", "caseload:": "team_lead",
         "vcse:onward-": "team_lead", "vcse:consent-": "team_lead", "vcse:inbox-": "vcse_worker",
         "api:onward-referral-": "team_lead", "api:inbox-": "vcse_worker"}
POST_ONLY = {"referrals:merge-undo", "api:referral-triage", "api:referral-allocation",
             "api:person-merge-undo", "api:contact-outcome", "api:intervention-end",
             "api:risk-concern-acknowledge", "api:referral-discharge", "vcse:inbox-accept",
             "api:onward-referral-withdraw-consent", "api:inbox-accept", "api:inbox-decline",
             "api:inbox-close"}


def test_the_same_urls_work_for_the_owning_tenant(client, tenant_a):
    """The 404s above come from scoping, not from broken URLs."""
    for name, url in urls_for(tenant_a):
        if name.endswith("_delete") or name.endswith("_history") or name in NOBODY_IN_A_TENANT:
            continue
        label = next((who for prefix, who in OWNER.items() if name.startswith(prefix)),
                     "tenant_admin")
        if name in {"referrals:person-merge", "referrals:merge-undo", "api:person-merge-undo",
                    "referrals:person-subject-access",
                    "referrals:person-subject-access-json"}:
            label = "tenant_admin"
        client.force_login(tenant_a.users[label])
        expected = 405 if name in POST_ONLY else 200
        assert client.get(url).status_code == expected, f"{label}: {name}"
