"""Filters for the caseload API's lists. They narrow a selector's queryset, never widen it."""

from __future__ import annotations

import django_filters

from caseload.codes import AssessmentKind, Attendance, ContactMode, InterventionKind, OutcomeTool
from caseload.models import (
    Assessment,
    CarePlan,
    Contact,
    Intervention,
    OutcomeMeasure,
    RiskConcern,
)


def _referral():
    return django_filters.UUIDFilter(field_name="referral_id")


class ContactFilter(django_filters.FilterSet):
    referral = _referral()
    team = django_filters.UUIDFilter(field_name="team_id")
    staff = django_filters.UUIDFilter(field_name="staff_id",
                                      help_text="Staff (membership) id.")
    mode = django_filters.ChoiceFilter(choices=ContactMode.choices)
    attendance = django_filters.ChoiceFilter(choices=Attendance.choices)
    date_from = django_filters.DateFilter(field_name="on", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="on", lookup_expr="lte")

    class Meta:
        model = Contact
        fields = ["referral", "team", "staff", "mode", "attendance", "date_from", "date_to"]


class AssessmentFilter(django_filters.FilterSet):
    referral = _referral()
    kind = django_filters.ChoiceFilter(choices=AssessmentKind.choices)

    class Meta:
        model = Assessment
        fields = ["referral", "kind"]


class CarePlanFilter(django_filters.FilterSet):
    referral = _referral()

    class Meta:
        model = CarePlan
        fields = ["referral"]


class InterventionFilter(django_filters.FilterSet):
    referral = _referral()
    kind = django_filters.ChoiceFilter(choices=InterventionKind.choices)

    class Meta:
        model = Intervention
        fields = ["referral", "kind"]


class OutcomeMeasureFilter(django_filters.FilterSet):
    referral = _referral()
    tool = django_filters.ChoiceFilter(choices=OutcomeTool.choices)

    class Meta:
        model = OutcomeMeasure
        fields = ["referral", "tool"]


class RiskConcernFilter(django_filters.FilterSet):
    referral = _referral()
    open = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull",
                                        help_text="true: not yet acknowledged.")

    class Meta:
        model = RiskConcern
        fields = ["referral", "open"]
