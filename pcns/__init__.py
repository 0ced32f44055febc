"""Tenancy and the people who work there: tenants, organisations, teams, memberships, audit."""
