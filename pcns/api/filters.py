import django_filters

from pcns.models import Membership, Organisation, OrganisationKind, Role, Team, TeamKind


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=OrganisationKind.choices)
    parent = django_filters.UUIDFilter(field_name="parent_id")
    ods_code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Organisation
        fields = ["kind", "parent", "ods_code", "name"]


class TeamFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=TeamKind.choices)
    host = django_filters.UUIDFilter(field_name="host_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Team
        fields = ["kind", "host", "is_active"]


class StaffFilter(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)
    team = django_filters.UUIDFilter(field_name="teams__id")
    employer = django_filters.UUIDFilter(field_name="employer_id")

    class Meta:
        model = Membership
        fields = ["role", "team", "employer"]
