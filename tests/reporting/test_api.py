"""GET /api/v1/metrics/: the current snapshot's values, with suppression per caller."""

from __future__ import annotations

import pytest

from tests.api_helpers import api_url
from tests.reporting.test_pages import count_row, store

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/"


@pytest.fixture
def values(tenant_a):
    team_member = tenant_a.clinician.membership.pk  # in the lead's team
    elsewhere = tenant_a.other_clinician.membership.pk  # in another team
    pcn = tenant_a.pcn
    return store(tenant_a.tenant, [
        count_row("REF01", "2024-03", 12),
        count_row("REF01", "2024-02", 3),
        count_row("REF01", "2024-03", 7, dimension="pcn", key=pcn.pk, label=pcn.name),
        ("RS01b", "2024-03", "tenant", "", "Northtown", "", 7, 8, "87.50"),
        count_row("RS02", "2024-03", 6, category="band:0-4w"),
        count_row("CAS01", "2024-03", 3, dimension="worker", key=team_member, label="Mine"),
        count_row("CAS01", "2024-03", 3, dimension="worker", key=elsewhere, label="Theirs"),
        count_row("CAS02", "2024-03", 2, dimension="team", key=tenant_a.pcn_team.pk,
                  label="Own team"),
    ])


def rows(api, user, **params) -> list[dict]:
    api.force_authenticate(user)
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def by_key(results):
    return {(r["code"], r["period"], r["dimension"], r["dimension_label"], r["category"]): r
            for r in results}


def test_the_url_is_named_and_paginated(api, tenant_a, values):
    assert api_url("metric-list") == URL
    api.force_authenticate(tenant_a.programme_manager)
    body = api.get(URL, {"page_size": 2}).json()
    assert body["count"] == 8 and len(body["results"]) == 2 and body["next"]


def test_a_programme_manager_gets_the_tenants_rule_for_everything(api, tenant_a, values):
    found = by_key(rows(api, tenant_a.programme_manager))
    ref = found[("REF01", "2024-03", "tenant", "Whole", "")]
    assert (ref["figure"], ref["value"], ref["numerator"], ref["rule"]) == (
        "10", 10.0, None, "publication")
    assert found[("REF01", "2024-02", "tenant", "Whole", "")]["figure"] == "*"
    assert found[("REF01", "2024-02", "tenant", "Whole", "")]["value"] is None
    rs01b = found[("RS01b", "2024-03", "tenant", "Northtown", "")]
    # 7 of 8 = 87.5 -> 88; the numerator and denominator are withheld
    assert (rs01b["figure"], rs01b["numerator"], rs01b["denominator"]) == ("88", None, None)
    assert rs01b["title"] == "Clock stops within 4 weeks, %" and rs01b["unit"] == "percent"
    assert rs01b["run"] == str(values.pk)
    assert found[("CAS01", "2024-03", "worker", "Mine", "")]["figure"] == "*"


def test_a_clinical_lead_gets_exact_figures_for_their_own_teams_only(api, tenant_a, values):
    found = by_key(rows(api, tenant_a.team_lead))
    mine = found[("CAS01", "2024-03", "worker", "Mine", "")]
    assert (mine["figure"], mine["value"], mine["numerator"], mine["rule"]) == (
        "3", 3.0, 3, "exact")
    assert found[("CAS02", "2024-03", "team", "Own team", "")]["figure"] == "2"
    theirs = found[("CAS01", "2024-03", "worker", "Theirs", "")]
    assert (theirs["figure"], theirs["numerator"]) == ("*", None)
    assert found[("REF01", "2024-03", "tenant", "Whole", "")]["figure"] == "10"


@pytest.mark.parametrize("label", ["clinician", "gp", "vcse_worker", "connector"])
def test_other_roles_are_refused(api, tenant_a, values, label):
    api.force_authenticate(tenant_a.users[label])
    response = api.get(URL)
    assert response.status_code == 403
    assert set(response.json()) == {"message", "errors"}


def test_anonymous_callers_are_refused(api, values):
    assert api.get(URL).status_code in (401, 403)


def test_a_programme_manager_sees_only_their_tenants_values(api, tenant_a, tenant_b, values):
    store(tenant_b.tenant, [count_row("REF01", "2024-03", 95)])
    found = rows(api, tenant_b.programme_manager)
    assert [(r["code"], r["figure"]) for r in found] == [("REF01", "95")]


def test_filters_by_code_period_dimension_key_and_category(api, tenant_a, values):
    pm = tenant_a.programme_manager
    assert {r["code"] for r in rows(api, pm, code="REF01,RS01b")} == {"REF01", "RS01b"}
    api.force_authenticate(pm)
    repeated = api.get(URL + "?code=REF01&code=RS02").json()["results"]
    assert {r["code"] for r in repeated} == {"REF01", "RS02"}
    assert [r["figure"] for r in rows(api, pm, code="REF01", period="2024-02")] == ["*"]
    assert len(rows(api, pm, code="REF01", period_from="2024-03", period_to="2024-03")) == 2
    assert len(rows(api, pm, code="REF01", period_to="2024-02")) == 1
    pcn = rows(api, pm, dimension="pcn")
    assert [(r["code"], r["figure"]) for r in pcn] == [("REF01", "5")]  # 7 -> 5
    assert len(rows(api, pm, dimension_key=str(tenant_a.pcn.pk))) == 1
    assert [r["figure"] for r in rows(api, pm, category="band:0-4w")] == ["5"]


def test_a_malformed_month_is_a_400_in_the_error_shape(api, tenant_a, values):
    api.force_authenticate(tenant_a.programme_manager)
    response = api.get(URL, {"period": "March"})
    assert response.status_code == 400
    assert "period" in response.json()["errors"]


def test_without_a_finished_refresh_the_list_is_empty(api, tenant_a):
    # the cast's refresh holds one REF01 row; a failed run after it changes nothing
    store(tenant_a.tenant, [count_row("REF01", "2024-03", 50)], status="failed")
    assert [r["code"] for r in rows(api, tenant_a.programme_manager)] == ["REF01"]
    assert rows(api, tenant_a.programme_manager)[0]["figure"] == "0"


def test_the_schema_documents_the_metrics_list(api, tenant_a):
    api.force_authenticate(tenant_a.programme_manager)
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"code", "period", "period_from", "period_to", "dimension", "dimension_key",
            "category", "page"} <= names
