"""Create the provider's users and our service's client application (run by the test fixture).

    python -m tests.oidc_provider.seed <redirect URI> <client id> <client secret>
"""

import sys

import django


def main(redirect_uri: str, client_id: str, client_secret: str) -> None:
    django.setup()
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    for username, email in USERS.items():
        User.objects.create_user(username, email, PASSWORD)
    Application.objects.create(
        name="Community mental health service",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )


#: username -> email; the subject the provider gives each is "uid-<username>".
USERS = {
    "clinician": "clinician@northtown.test",
    "lead": "team_lead@northtown.test",
    "manager": "programme_manager@northtown.test",
    "stranger": "stranger@nowhere.test",
}
PASSWORD = "provider-password-1"


if __name__ == "__main__":
    main(*sys.argv[1:4])
