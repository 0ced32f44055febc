from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims like CIS2's: a stable subject that is not the database id, and a verified email."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "sub": f"uid-{user.username}",
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
        }
