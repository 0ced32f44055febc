"""The person's care records, for a subject access request (pcns.subject_access)."""

from __future__ import annotations

from django.utils import timezone

from caseload.models import (
    Assessment,
    CarePlan,
    CarePlanVersion,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)
from pcns.subject_access import Section, record_of, register
from referrals.subject_access import referrals_of

#: (section key, title, model, related rows to fetch with each)
KINDS = [
    ("contacts", "Contacts", Contact, ["referral", "team", "staff__user", "organisation",
                                       "recorded_by"]),
    ("assessments", "Assessments", Assessment, ["referral", "assessor__user", "contact",
                                                "recorded_by"]),
    ("interventions", "Interventions", Intervention, ["referral", "delivered_by__user",
                                                      "contact", "recorded_by"]),
    ("outcome_measures", "Outcome measures", OutcomeMeasure, ["referral", "contact",
                                                              "recorded_by"]),
    ("risk_concerns", "Risk concerns", RiskConcern, ["referral", "raised_by",
                                                     "acknowledged_by"]),
]


def _title(row) -> str:
    if isinstance(row, RiskConcern):
        return f"Risk concern raised {timezone.localtime(row.raised_at):%d/%m/%Y}"
    return str(row)


def sections(person) -> list[Section]:
    referrals = list(referrals_of(person))
    found = []
    for key, title, model, related in KINDS:
        section = Section(key=key, title=title)
        for row in model.objects.filter(referral__in=referrals).select_related(*related):
            section.records.append(record_of(row, title=_title(row)))
        found.append(section)
    plans = Section(key="care_plans", title="Care plans",
                    description="Each care plan and every version of it, the earlier ones kept.")
    for plan in CarePlan.objects.filter(referral__in=referrals).select_related("referral"):
        plans.records.append(record_of(plan, title=f"Care plan ({plan.referral})"))
        for version in CarePlanVersion.objects.filter(plan=plan).select_related("recorded_by"):
            plans.records.append(record_of(version, title=str(version)))
    found.insert(2, plans)
    return found


register(order=20, name="caseload", contributor=sections)
