"""`manage.py generate_synthetic`: synthetic tenants written with COPY, checked at a tiny scale.

The command commits its own transaction as the owner role, so these tests use a transactional
database (emptied after each test) and read what it wrote back as the application role.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from caseload.codes import TOOLS
from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
)
from pcns.tenancy import tenant_context, tenant_id_for_slug
from referrals.models import JointWorker, Person, Referral
from referrals.validators import nhs_number_check_digit
from vcse.models import Consent, OnwardReferral, VcseContact

pytestmark = pytest.mark.django_db(transaction=True)

TINY = ["--tenants", "1", "--pcns-per-tenant", "2", "--people", "200", "--referrals", "300",
        "--contacts-per-referral", "3", "--end-month", "2025-06"]
PERIOD_END = "2025-06-30"
PHASE_MODELS = {
    "people": Person, "referrals": Referral, "joint workers": JointWorker,
    "contacts": Contact, "assessments": Assessment, "care plans": CarePlan,
    "care plan versions": CarePlanVersion, "interventions": Intervention,
    "outcome measures": OutcomeMeasure, "onward referrals": OnwardReferral,
    "consents": Consent, "VCSE contacts": VcseContact,
}


def generate(prefix: str, *extra: str) -> dict[str, int]:
    """Run the command; returns the rows it says it wrote per phase."""
    out = io.StringIO()
    call_command("generate_synthetic", *TINY, "--prefix", prefix, *extra, stdout=out)
    rows = {}
    for line in out.getvalue().splitlines():
        if match := re.match(r"^(\S.*?)\s{2,}([\d,]+)\s+[\d.]+$", line):
            rows[match[1]] = int(match[2].replace(",", ""))
    return rows


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_it_writes_the_rows_asked_for_and_each_is_visible_in_its_tenant():
    written = generate("synth")
    tenant = tenant_id_for_slug("synth-01")
    assert tenant is not None
    with tenant_context(tenant):
        assert Person.objects.count() == written["people"] == 200
        assert Referral.objects.count() == written["referrals"] == 300
        assert 0.85 * 900 <= written["contacts"] <= 1.15 * 900
        for phase, model in PHASE_MODELS.items():
            # Every row carries its tenant_id: row-level security shows it in this tenant.
            assert model.objects.count() == written[phase], phase
            assert written[phase] > 0, f"no {phase} were generated"
    assert written["total"] == sum(written.values()) - written["total"]


def test_every_nhs_number_is_valid_starts_999_and_is_unique_in_the_tenant():
    generate("synth")
    with tenant_context(tenant_id_for_slug("synth-01")):
        people = list(Person.objects.values_list("nhs_number", "nhs_number_missing_reason"))
    numbers = [number for number, _ in people if number]
    assert len(numbers) > 190
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert number.startswith("999") and len(number) == 10, number
        assert nhs_number_check_digit(number[:9]) == int(number[9]), number
    assert all(reason for number, reason in people if not number)


def test_statuses_and_dates_agree_and_care_happens_while_a_referral_is_open():
    generate("synth")
    violations = {
        "status and columns": """
            SELECT id FROM referrals_referral WHERE
               (status IN ('accepted', 'allocated', 'active', 'redirected', 'rejected',
                           'discharged') AND triaged_on IS NULL)
            OR (status IN ('awaiting_triage', 'awaiting_mdt')
                AND (triaged_on IS NOT NULL OR worker_id IS NOT NULL))
            OR ((status = 'redirected') <> (redirect_destination <> ''))
            OR ((status = 'rejected') <> (rejection_reason <> ''))
            OR (status IN ('allocated', 'active') AND worker_id IS NULL)
            OR ((status = 'discharged') <> (discharged_on IS NOT NULL))
            OR (status = 'discharged' AND discharge_reason = '')
            OR allocated_on < triaged_on OR discharged_on < allocated_on
            OR discharged_on < triaged_on OR received_on > %(end)s""",
        "two open referrals in a team": """
            SELECT person_id FROM referrals_referral
             WHERE status IN ('awaiting_triage', 'awaiting_mdt', 'accepted', 'allocated',
                              'active')
             GROUP BY person_id, team_id HAVING count(*) > 1""",
        "active without a meaningful assessment": """
            SELECT r.id FROM referrals_referral r WHERE r.status = 'active' AND NOT EXISTS (
                SELECT 1 FROM caseload_assessment a WHERE a.referral_id = r.id
                   AND a.kind IN ('initial', 'biopsychosocial', 'risk', 'specialist'))""",
        "contact outside the referral": """
            SELECT c.id FROM caseload_contact c
              JOIN referrals_referral r ON r.id = c.referral_id
             WHERE c.on < r.received_on
                OR (c.attendance <> 'booked' AND c.on > coalesce(
                      r.discharged_on, CASE WHEN r.status IN ('rejected', 'redirected')
                                            THEN r.triaged_on END, %(end)s))
                OR (c.attendance = 'booked' AND (c.on <= %(end)s OR r.status NOT IN (
                      'allocated', 'active')))""",
        "care record outside the referral": """
            SELECT r.id FROM referrals_referral r
              JOIN caseload_assessment a ON a.referral_id = r.id
             WHERE a.assessed_on < r.triaged_on
                OR a.assessed_on > coalesce(r.discharged_on, %(end)s)
            UNION ALL
            SELECT r.id FROM referrals_referral r
              JOIN caseload_outcomemeasure o ON o.referral_id = r.id
             WHERE o.completed_on < r.triaged_on
                OR o.completed_on > coalesce(r.discharged_on, %(end)s)
            UNION ALL
            SELECT r.id FROM referrals_referral r
              JOIN caseload_intervention i ON i.referral_id = r.id
             WHERE i.started_on < r.triaged_on OR i.ended_on < i.started_on
                OR i.ended_on > r.discharged_on
                OR (r.discharged_on IS NOT NULL AND i.ended_on IS NULL)
            UNION ALL
            SELECT r.id FROM referrals_referral r
              JOIN caseload_careplan p ON p.referral_id = r.id
              JOIN caseload_careplanversion v ON v.plan_id = p.id
             WHERE v.agreed_on < r.triaged_on
                OR v.agreed_on > coalesce(r.discharged_on, %(end)s)""",
        "record at a contact on another day": """
            SELECT a.id FROM caseload_assessment a JOIN caseload_contact c ON c.id = a.contact_id
             WHERE c.on <> a.assessed_on OR c.attendance <> 'attended'
                OR c.referral_id <> a.referral_id""",
        "onward referral out of order": """
            SELECT o.id FROM vcse_onwardreferral o
              JOIN referrals_referral r ON r.id = o.referral_id
              JOIN vcse_consent k ON k.onward_referral_id = o.id
             WHERE o.sent_on < r.received_on OR o.sent_on > coalesce(r.discharged_on, %(end)s)
                OR k.given_on > o.sent_on OR o.closed_on < o.responded_on""",
    }
    with tenant_context(tenant_id_for_slug("synth-01")):
        for name, sql in violations.items():
            assert rows(sql, {"end": PERIOD_END}) == [], name


def test_scores_are_computed_from_the_items_as_the_service_computes_them():
    generate("synth")
    with tenant_context(tenant_id_for_slug("synth-01")):
        measures = list(OutcomeMeasure.objects.all())
    assert any(m.tool == "dialog" for m in measures)
    for measure in measures:
        spec = TOOLS[measure.tool]
        assert len(measure.items) == len(spec.items)
        assert all(spec.minimum <= item <= spec.maximum for item in measure.items)
        assert (measure.score, measure.subscores) == spec.score(measure.items)


def test_the_data_looks_like_a_community_mental_health_service():
    generate("synth", "--people", "600", "--referrals", "900")
    with tenant_context(tenant_id_for_slug("synth-01")):
        [(female, minority, under_18)] = rows("""
            SELECT avg((sex = 'female')::int),
                   avg((ethnicity NOT IN ('A', 'B', 'C', 'Z', '99'))::int),
                   count(*) FILTER (WHERE date_of_birth > %s::date - interval '18 years')
              FROM referrals_person""", [PERIOD_END])
        [(dna_rate, video, talk_type)] = rows("""
            SELECT count(*) FILTER (WHERE attendance = 'dna')::float
                   / count(*) FILTER (WHERE attendance IN ('attended', 'dna')),
                   count(*) FILTER (WHERE mode = 'video'),
                   count(*) FILTER (WHERE mode = 'talk_type') FROM caseload_contact""")
        statuses = dict(rows("SELECT status, count(*) FROM referrals_referral GROUP BY 1"))
        [(within_5_days,)] = rows("""
            SELECT count(*) FROM referrals_referral r JOIN referrals_referral e
                ON e.person_id = r.person_id AND e.discharged_on IS NOT NULL
               AND r.received_on BETWEEN e.discharged_on AND e.discharged_on + 5
             WHERE e.id <> r.id""")
        reopened = Referral.objects.exclude(previous_referral=None).count()
    assert 0.5 < female < 0.7
    assert 0.1 < minority < 0.3
    assert under_18 > 0
    assert 0.08 < dna_rate < 0.17
    assert video > talk_type
    assert {"rejected", "redirected", "discharged", "active"} <= set(statuses)
    assert statuses["discharged"] > statuses["rejected"]
    assert within_5_days > 0 and reopened > 0


def _fingerprint(slug: str) -> str:
    """A hash of what a tenant holds, with ids and slug-derived names left out."""
    with tenant_context(tenant_id_for_slug(slug)):
        [(digest,)] = rows("""
            SELECT md5(string_agg(line, '|' ORDER BY line)) FROM (
                SELECT concat_ws(',', p.nhs_number, p.given_name, p.family_name, p.date_of_birth,
                       p.sex, p.ethnicity, p.postcode, p.imd_decile, r.received_on, r.status,
                       r.triaged_on, r.allocated_on, r.discharged_on, r.discharge_reason,
                       r.urgency, r.source, r.presenting_needs::text,
                       CASE WHEN t.kind = 'pcn_team' THEN t.name ELSE t.kind END,
                       (SELECT string_agg(x, ';' ORDER BY x) FROM (
                           SELECT concat_ws(':', c.on, c.at, c.mode, c.attendance, c.purpose,
                                            c.duration_minutes, c.staff_role) AS x
                             FROM caseload_contact c WHERE c.referral_id = r.id) AS cs),
                       (SELECT string_agg(x, ';' ORDER BY x) FROM (
                           SELECT concat_ws(':', o.tool, o.completed_on, o.items::text,
                                            o.score) AS x
                             FROM caseload_outcomemeasure o WHERE o.referral_id = r.id) AS os)
                       ) AS line
                  FROM referrals_referral r
                  JOIN referrals_person p ON p.id = r.person_id
                  JOIN pcns_team t ON t.id = r.team_id) AS lines""")
    return digest


def test_the_same_seed_gives_the_same_records_and_another_seed_does_not():
    generate("first", "--seed", "7")
    generate("again", "--seed", "7")
    generate("other", "--seed", "8")
    assert _fingerprint("first-01") == _fingerprint("again-01")
    assert _fingerprint("first-01") != _fingerprint("other-01")


def test_the_application_role_sees_the_rows_only_in_their_tenant(tenant_a):
    generate("synth")
    synthetic = tenant_id_for_slug("synth-01")
    with tenant_context(synthetic):
        assert Referral.objects.count() == 300
    with tenant_context(tenant_a.tenant.pk):
        assert not Referral.objects.filter(tenant_id=synthetic).exists()
        assert rows("SELECT count(*) FROM caseload_contact WHERE tenant_id = %s",
                    [synthetic]) == [(0,)]
    assert Contact.objects.count() == 0  # no tenant context: nothing at all


def test_an_existing_slug_is_refused_and_nothing_more_is_written():
    generate("synth")
    with pytest.raises(CommandError, match="synth-01 already exists"):
        generate("synth")
    with tenant_context(tenant_id_for_slug("synth-01")):
        assert Referral.objects.count() == 300


def test_options_that_cannot_work_are_refused():
    with pytest.raises(CommandError, match="--referrals must be at least --people"):
        generate("synth", "--people", "300", "--referrals", "200")
    with pytest.raises(CommandError, match="--end-month must look like 2025-03"):
        generate("synth", "--end-month", "June")


def test_the_foreign_keys_and_indexes_it_set_aside_are_back_as_they_were():
    schema = """
        SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        UNION ALL
        SELECT 'index', tablename, indexname, indexdef FROM pg_indexes
         WHERE schemaname = 'public' ORDER BY 1, 2, 3"""
    before = rows(schema)
    generate("synth")
    assert rows(schema) == before
