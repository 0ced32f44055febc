from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims like CIS2's: a stable subject that is not the database id, and a verified email."""

    # Claims outside openid's scopes are released under openid, as CIS2 releases acr.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "acr": "openid"}

    def get_additional_claims(self, request):
        user = request.user
        return {
            "sub": f"uid-{user.username}",
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
            # As CIS2 names a smartcard sign-in (pcns SingleSignOn.two_factor_acr_values).
            "acr": "AAL3_ANY",
        }
