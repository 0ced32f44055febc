"""Signing in and out: passwords, throttling, two-factor sign-in, single sign-on and invitations.

Every way in ends in ``services.complete_sign_in``, so the session, the tenant context and the
audit row are the same whichever route a person took.
"""
