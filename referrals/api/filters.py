import django_filters

from referrals.models import Person


class PersonFilter(django_filters.FilterSet):
    nhs_number = django_filters.CharFilter(method="filter_nhs_number",
                                           help_text="Exact; spaces and hyphens are ignored.")
    family_name = django_filters.CharFilter(lookup_expr="icontains")
    date_of_birth = django_filters.DateFilter()
    registered_practice = django_filters.UUIDFilter(field_name="registered_practice_id")

    class Meta:
        model = Person
        fields = ["nhs_number", "family_name", "date_of_birth", "registered_practice"]

    def filter_nhs_number(self, queryset, name, value):
        return queryset.filter(nhs_number="".join(ch for ch in value if ch not in " -"))
