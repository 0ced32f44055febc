"""Filters for referral lists, shared by the triage queue page and the API."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.utils import timezone

from pcns.models import Organisation, Team
from referrals.codes import Source, Urgency
from referrals.models import Referral
from referrals.states import Status

#: Waiting bands for the triage queue: days since received.
WAITING_BANDS = [
    ("under_14", "Under 14 days", 0, 13),
    ("14_to_27", "14 to 27 days", 14, 27),
    ("28_plus", "28 days or more", 28, None),
]


def _teams(request):
    membership = getattr(request, "membership", None) if request else None
    if membership is None:
        return Team.objects.none()
    return Team.objects.filter(tenant_id=membership.tenant_id, memberships=membership)


def _pcns(request):
    membership = getattr(request, "membership", None) if request else None
    if membership is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(tenant_id=membership.tenant_id, kind="pcn")


class ReferralFilter(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(queryset=_teams, field_name="team",
                                            empty_label="All your teams")
    pcn = django_filters.ModelChoiceFilter(queryset=_pcns, field_name="team__host",
                                           label="PCN", empty_label="All PCNs")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, empty_label="Any urgency")
    waiting = django_filters.ChoiceFilter(
        choices=[(code, label) for code, label, _, _ in WAITING_BANDS],
        method="filter_waiting", label="Waiting", empty_label="Any wait",
    )

    class Meta:
        model = Referral
        fields = ["team", "pcn", "source", "urgency", "waiting"]

    def filter_waiting(self, queryset, name, value):
        today = timezone.localdate()
        for code, _, low, high in WAITING_BANDS:
            if code == value:
                queryset = queryset.filter(received_on__lte=today - dt.timedelta(days=low))
                if high is not None:
                    queryset = queryset.filter(received_on__gte=today - dt.timedelta(days=high))
        return queryset


class ReferralListFilter(ReferralFilter):
    """The API's referral list: the queue's filters plus status and dates."""

    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    person = django_filters.UUIDFilter(field_name="person_id")
    worker = django_filters.UUIDFilter(field_name="worker_id")

    class Meta(ReferralFilter.Meta):
        fields = [*ReferralFilter.Meta.fields, "status", "received_from", "received_to",
                  "person", "worker"]
