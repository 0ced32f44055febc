"""Filters for the metrics API. They narrow the current run's values, never widen them."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms

from reporting.models import MetricValue

_MONTH_HELP = "A month as YYYY-MM."


class MonthField(forms.CharField):
    default_error_messages = {"invalid": "Enter a month as YYYY-MM, like 2024-03."}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            if len(value) != 7:
                raise ValueError(value)
            return dt.date.fromisoformat(f"{value}-01")
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class MonthFilter(django_filters.Filter):
    field_class = MonthField


class MetricValueFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(
        method="filter_code",
        help_text="A metric code (RS01b). Repeat it, or give a comma-separated list, for several.")
    period = MonthFilter(field_name="period", help_text=_MONTH_HELP)
    period_from = MonthFilter(field_name="period", lookup_expr="gte",
                              help_text="The first month, as YYYY-MM.")
    period_to = MonthFilter(field_name="period", lookup_expr="lte",
                            help_text="The last month, as YYYY-MM.")
    dimension = django_filters.ChoiceFilter(
        choices=[(d, d) for d in ("tenant", "pcn", "team", "worker", "vcse_org",
                                  "vcse_service")])
    dimension_key = django_filters.CharFilter(
        help_text="The id of the PCN, team, member of staff or VCSE record ('' for the tenant).")
    category = django_filters.CharFilter(
        help_text="A breakdown as axis:key (band:0-4w); empty for the whole.")

    class Meta:
        model = MetricValue
        fields = ["code", "period", "period_from", "period_to", "dimension", "dimension_key",
                  "category"]

    def filter_code(self, queryset, name, value):
        codes = [code.strip() for given in self.data.getlist("code")
                 for code in given.split(",") if code.strip()]
        return queryset.filter(code__in=codes) if codes else queryset
