"""Single sign-on by OpenID Connect (NHS CIS2 or any standard provider), configured per tenant.

Imported by pcns.models, so these are ``pcns`` models. Both tables are tenant-owned and behind
row-level security like every other.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from pcns.models import Membership, TenantOwned


class SingleSignOn(TenantOwned):
    """How one tenant's staff sign in through their identity provider.

    No account is ever made from a sign-in: the provider's subject (or, where allowed, its
    verified email) must match an active membership of this tenant.
    """

    tenant = models.OneToOneField(
        "pcns.Tenant", on_delete=models.PROTECT, editable=False, related_name="single_sign_on"
    )
    enabled = models.BooleanField(
        "turned on", default=False,
        help_text="While off, nobody can sign in to this place through single sign-on.",
    )
    display_name = models.CharField(
        max_length=80, default="NHS Care Identity Service 2",
        help_text="Shown on the sign-in page: Sign in with this name.",
    )
    issuer = models.URLField(
        "issuer URL", max_length=300,
        help_text="The provider's issuer, exactly as its ID tokens name it. Its discovery "
        "document must be at <issuer>/.well-known/openid-configuration.",
    )
    client_id = models.CharField("client ID", max_length=200)
    client_secret = models.CharField(max_length=500)
    scopes = models.CharField(
        max_length=300, default="openid email profile",
        help_text="Space-separated; must include openid.",
    )
    match_by_email = models.BooleanField(
        "match by verified email", default=False,
        help_text="On a person's first single sign-on, accept an email the provider has verified "
        "when it equals the email of their membership here. Afterwards they match by subject.",
    )

    two_factor_acr_values = models.CharField(
        "assurance levels that count as two factors", max_length=300, blank=True,
        help_text="Space-separated authentication context (acr) values. When the provider's ID "
        "token names one of them (for NHS CIS2, a smartcard or authenticator level, e.g. "
        "AAL3_ANY), the sign-in counts as two factors. Otherwise people who must use two "
        "factors are asked for their authenticator app code after single sign-on.",
    )

    class Meta:
        verbose_name = "single sign-on"
        verbose_name_plural = "single sign-on"

    def __str__(self) -> str:
        return f"{self.display_name} ({'on' if self.enabled else 'off'})"

    def counts_as_two_factors(self, claims: dict) -> bool:
        """Whether the provider says (in the ID token's ``acr``) it checked two factors."""
        return str(claims.get("acr") or "") in self.two_factor_acr_values.split()

    def clean(self) -> None:
        if "openid" not in self.scopes.split():
            raise ValidationError({"scopes": "Scopes must include openid."})

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def masked_secret(self) -> str:
        """The secret as the admin may see it: only its last four characters."""
        if not self.client_secret:
            return "not set"
        return "••••••••" + self.client_secret[-4:] if len(self.client_secret) > 8 else "••••••••"


class SingleSignOnIdentity(TenantOwned):
    """The provider's subject for one membership, stored once matched so later sign-ins match by
    subject alone. An administrator may also enter it before the first sign-in."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.URLField(max_length=300)
    subject = models.CharField(
        max_length=255, help_text="The provider's stable id for the person (the sub claim)."
    )
    linked_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "issuer", "subject"], name="sso_identity_subject_unique"
            ),
            models.UniqueConstraint(
                fields=["membership", "issuer"], name="sso_identity_one_per_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership.user} as {self.subject}"
