"""Output of the metrics API: a stored value as the caller may see it.

The figure is worked out by reporting.disclosure under the caller's rule for the row
(``context["rule_for"]``). Numerator and denominator are given only under the exact rule, so a
rounded or suppressed figure cannot be worked back.
"""

from __future__ import annotations

from rest_framework import serializers

from reporting.disclosure import Rule, figure
from reporting.models import MetricValue
from reporting.registry import BY_CODE


class MetricValueOutput(serializers.ModelSerializer):
    title = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField(help_text="The month, as YYYY-MM.")
    figure = serializers.SerializerMethodField(
        help_text="The figure as shown: '*' when suppressed.")
    value = serializers.SerializerMethodField(help_text="The figure as a number; null when "
                                                        "suppressed.")
    numerator = serializers.SerializerMethodField(help_text="Exact figures only; else null.")
    denominator = serializers.SerializerMethodField(help_text="Exact figures only; else null.")
    rule = serializers.SerializerMethodField(help_text="exact, management or publication.")
    run = serializers.UUIDField(source="run_id")

    class Meta:
        model = MetricValue
        fields = ["code", "version", "title", "unit", "period", "period_end", "dimension",
                  "dimension_key", "dimension_label", "category", "figure", "value",
                  "numerator", "denominator", "rule", "computed_at", "run"]

    def _rule(self, obj: MetricValue) -> Rule:
        return self.context["rule_for"](obj)

    def _figure(self, obj: MetricValue):
        cache = self.context.setdefault("_figures", {})
        if obj.pk not in cache:
            cache[obj.pk] = figure(BY_CODE[obj.code], numerator=obj.numerator,
                                   denominator=obj.denominator, value=obj.value,
                                   rule=self._rule(obj))
        return cache[obj.pk]

    def get_title(self, obj: MetricValue) -> str:
        return BY_CODE[obj.code].title

    def get_unit(self, obj: MetricValue) -> str:
        return BY_CODE[obj.code].unit

    def get_period(self, obj: MetricValue) -> str:
        return f"{obj.period:%Y-%m}"

    def get_figure(self, obj: MetricValue) -> str:
        return self._figure(obj).text

    def get_value(self, obj: MetricValue) -> float | None:
        number = self._figure(obj).number
        return float(number) if number is not None else None

    def get_numerator(self, obj: MetricValue) -> int | None:
        return obj.numerator if self._rule(obj) is Rule.EXACT else None

    def get_denominator(self, obj: MetricValue) -> int | None:
        return obj.denominator if self._rule(obj) is Rule.EXACT else None

    def get_rule(self, obj: MetricValue) -> str:
        return self._rule(obj).value
