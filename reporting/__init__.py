"""Metric definitions, snapshot tables, the jobs that fill them, dashboards and exports."""
