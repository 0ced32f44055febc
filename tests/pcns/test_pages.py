"""Page shell, team and organisation pages, error pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_page_shell_has_a_skip_link_the_tenant_the_user_and_role_navigation(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    body = client.get(reverse("caseload:home-team-lead")).content.decode()
    assert 'href="#maincontent"' in body and "Skip to main content" in body
    assert "Northtown" in body
    assert "Team_Lead" in body  # the user's name in the header
    assert 'href="/teams/"' in body
    assert 'href="/admin/"' not in body  # administration is for tenant admins only


def test_the_tenant_admin_navigation_links_to_administration(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    assert 'href="/admin/"' in client.get(reverse("pcns:home-admin")).content.decode()


def test_a_team_lead_sees_staff_with_employer_honorary_contract_and_wte(client, tenant_a):
    client.force_login(tenant_a.team_lead)
    body = client.get(reverse("pcns:team-detail", args=[tenant_a.pcn_team.pk])).content.decode()
    assert "Clinician" in body and "Northtown Trust" in body and "0.80" in body


def test_a_vcse_worker_cannot_see_a_clinical_team(client, tenant_a):
    client.force_login(tenant_a.vcse_worker)
    assert client.get(reverse("pcns:team-detail", args=[tenant_a.pcn_team.pk])).status_code == 404
    own = client.get(reverse("pcns:team-detail", args=[tenant_a.vcse_team.pk]))
    assert own.status_code == 200


def test_a_clinician_sees_another_clinical_team_but_not_its_staff_list(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("pcns:team-detail", args=[tenant_a.other_pcn_team.pk]))
    assert response.status_code == 200
    assert "Other_Clinician" not in response.content.decode()


def test_the_programme_page_shows_pcns_with_go_live_and_intake_pauses(client, tenant_a):
    client.force_login(tenant_a.programme_manager)
    body = client.get(reverse("pcns:home-programme")).content.decode()
    assert "Northtown Central PCN" in body
    assert "1 June 2020" in body
    detail = client.get(reverse("pcns:organisation-detail", args=[tenant_a.pcn.pk]))
    assert "1 August 2021 to 31 October 2021: Clearing a backlog" in detail.content.decode()


def test_a_missing_page_uses_the_nhs_404_page(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_forbidden_page_uses_the_nhs_403_page(client, tenant_a):
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("pcns:organisation-list"))
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_a_server_error_uses_the_500_page(client, tenant_a):
    from pcns.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def test_pages_send_a_content_security_policy(client, tenant_a):
    response = client.get(reverse("pcns:sign-in"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_team_list_uses_a_constant_number_of_queries(
    client, tenant_a, django_assert_max_num_queries
):
    client.force_login(tenant_a.team_lead)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("pcns:team-list")).status_code == 200


@pytest.mark.parametrize("label", ["vcse_worker", "clinician", "team_lead"])
def test_the_team_list_counts_every_member_whoever_looks(client, tenant_a, label):
    """The same staff counts for everyone: the user's own membership narrows which teams are
    listed, never whom a team's count includes."""
    from pcns.models import TeamMembership
    from pcns.tenancy import tenant_context

    with tenant_context(tenant_a.tenant.pk):
        expected = {team.name: TeamMembership.objects.filter(
            team=team, membership__is_active=True).count()
            for team in (tenant_a.pcn_team, tenant_a.vcse_team)}
    assert expected[tenant_a.vcse_team.name] >= 2 and expected[tenant_a.pcn_team.name] >= 2
    client.force_login(tenant_a.users[label])
    body = client.get(reverse("pcns:team-list")).content.decode()
    rows = dict(re.findall(r'<a href="/teams/[^"]+/">([^<]+)</a></th>.*?'
                           r'--numeric">(\d+)</td>', body, flags=re.S))
    for name, count in expected.items():
        if name in rows:
            assert int(rows[name]) == count, name
    own = tenant_a.vcse_team.name if label == "vcse_worker" else tenant_a.pcn_team.name
    assert own in rows


def test_the_health_check_answers_without_signing_in_or_a_known_host(client, db):
    response = client.get("/health/", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_inline_script_carries_the_nonce_the_policy_allows(client, db):
    response = client.get(reverse("pcns:sign-in"))
    found = re.search(r'<script nonce="([^"]+)">', response.content.decode())
    assert found, "the NHS.UK body-class script must carry a nonce"
    assert f"'nonce-{found.group(1)}'" in response["Content-Security-Policy"]
