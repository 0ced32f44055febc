"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit in a tiny
Django project of its own (own settings, own PostgreSQL database), run as a separate process.
It stands in for NHS CIS2: authorisation code with PKCE required, RS256-signed ID tokens."""
