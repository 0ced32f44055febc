"""The metrics API: the current snapshot's values, as the caller may see them.

Programme managers and tenant administrators get the tenant's disclosure rule for every figure.
A clinical lead gets exact figures for the team and worker rows of their own teams (direct care)
and the tenant's rule for everything else. Anyone else: 403.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from config.api.views import ErrorOutput
from config.api.views import require as _require
from reporting import permissions, selectors
from reporting.api import filters, serializers
from reporting.disclosure import Rule, rule_for_tenant
from reporting.models import MetricValue


@extend_schema_view(list=extend_schema(
    summary="Read stored metric figures",
    description="The values of the tenant's latest finished refresh, filtered by code, month, "
    "dimension and category. Figures follow the disclosure rule for the caller: the tenant's "
    "(publication or management) for programme managers and administrators; exact for a "
    "clinical lead's own teams and their members. `numerator` and `denominator` are given only "
    "for exact figures.",
    responses={200: serializers.MetricValueOutput(many=True), 400: ErrorOutput,
               403: ErrorOutput},
))
class MetricValueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = MetricValue.objects.none()
    serializer_class = serializers.MetricValueOutput
    filterset_class = filters.MetricValueFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _require(permissions.can_use_metrics_api(request.user),
                 "Only programme managers, administrators and clinical leads read metrics.")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        run = selectors.current_run(self.request.membership.tenant_id)
        if run is None:
            return MetricValue.objects.none()
        return selectors.snapshot_values(run)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        tenant_rule = rule_for_tenant(self.request.membership.tenant.disclosure_mode)
        exact = permissions.exact_scope(self.request.user)

        def rule_for(value: MetricValue) -> Rule:
            return Rule.EXACT if exact.covers(value.dimension, value.dimension_key) \
                else tenant_rule

        context["rule_for"] = rule_for
        return context
