"""Contacts, assessments, care plans, interventions, outcome measures and discharge."""
