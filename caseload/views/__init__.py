"""Caseload pages: caseloads (caseloads.py); the care record, contacts, assessments,
interventions, risk concerns and discharge (record.py); care plans (plans.py); outcome
measures and their chart (outcomes.py)."""
