"""Output serializers for the tenancy API. One per endpoint; none shared, none `__all__`."""

from rest_framework import serializers

from pcns.models import IntakePause, Membership, Organisation, Team, User


class MeOutput(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.get_full_name")
    tenant = serializers.CharField(source="tenant.name")
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    employer = serializers.UUIDField(source="employer_id")
    teams = serializers.SerializerMethodField()

    def get_teams(self, membership: Membership) -> list[str]:
        return [str(pk) for pk in membership.teams.values_list("pk", flat=True)]


class IntakePauseOutput(serializers.ModelSerializer):
    class Meta:
        model = IntakePause
        fields = ["starts_on", "ends_on", "reason"]


class OrganisationListOutput(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "ods_code", "parent", "go_live_date"]


class OrganisationDetailOutput(serializers.ModelSerializer):
    intake_pauses = IntakePauseOutput(many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "ods_code", "parent", "go_live_date", "intake_pauses"]


class TeamListOutput(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind", "host", "is_active"]


class TeamDetailOutput(serializers.ModelSerializer):
    host_name = serializers.CharField(source="host.name")

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "host", "host_name", "is_active"]


class _UserOutput(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name"]


class StaffListOutput(serializers.ModelSerializer):
    user = _UserOutput()
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "employer", "honorary_contract", "wte", "teams"]


class StaffDetailOutput(serializers.ModelSerializer):
    user = _UserOutput()
    teams = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    employer_name = serializers.CharField(source="employer.name")

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "employer", "employer_name", "honorary_contract", "wte",
                  "teams", "is_active"]
