"""Filters for the VCSE API's lists. They narrow a selector's queryset, never widen it."""

from __future__ import annotations

import django_filters

from vcse import selectors
from vcse.codes import OnwardStatus, SupportCategory
from vcse.models import OnwardReferral, Service


class ServiceFilter(django_filters.FilterSet):
    """The directory search, as the clinicians' page searches it (``selectors.services_search``)."""

    category = django_filters.ChoiceFilter(choices=SupportCategory.choices,
                                           method="filter_category",
                                           help_text="A need: services offering it.")
    area = django_filters.UUIDFilter(
        method="filter_area",
        help_text="A PCN id: services covering it, and those covering the whole place.",
    )
    open = django_filters.BooleanFilter(method="filter_open",
                                        help_text="true: open to referrals; false: closed.")
    q = django_filters.CharFilter(method="filter_text",
                                  help_text="Words in the name, description or organisation.")

    class Meta:
        model = Service
        fields = ["category", "area", "open", "q"]

    def filter_category(self, queryset, name, value):
        return selectors.services_search(queryset, need=value)

    def filter_area(self, queryset, name, value):
        return selectors.services_search(queryset, area=value)

    def filter_open(self, queryset, name, value):
        if value:
            return selectors.services_search(queryset, open_only=True)
        return queryset.filter(is_open=False)

    def filter_text(self, queryset, name, value):
        return selectors.services_search(queryset, text=value.strip())


class OnwardReferralFilter(django_filters.FilterSet):
    referral = django_filters.UUIDFilter(field_name="referral_id")
    status = django_filters.ChoiceFilter(choices=OnwardStatus.choices)
    organisation = django_filters.UUIDFilter(field_name="organisation_id",
                                             help_text="The receiving VCSE organisation.")

    class Meta:
        model = OnwardReferral
        fields = ["referral", "status", "organisation"]


class InboxFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OnwardStatus.choices)
    tab = django_filters.ChoiceFilter(
        choices=[(code, label) for code, (label, _statuses) in selectors.INBOX_TABS.items()],
        method="filter_tab",
        help_text="As the inbox page's tabs: new, accepted, in progress, closed (closed and "
        "declined).",
    )

    class Meta:
        model = OnwardReferral
        fields = ["status", "tab"]

    def filter_tab(self, queryset, name, value):
        return queryset.filter(status__in=selectors.INBOX_TABS[value][1])
