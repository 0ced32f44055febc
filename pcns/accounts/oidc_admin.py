"""Tenant administrators set up their place's single sign-on here (imported by pcns.admin).

The client secret is write-only: the form never sends it back to the browser, shows only its
last four characters, and keeps the stored one when the field is left blank.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from config.limits import NoControlCharacters
from pcns.admin import TenantScopedAdmin, _request_tenant_id
from pcns.models import Membership, SingleSignOn, SingleSignOnIdentity


class SingleSignOnForm(forms.ModelForm):
    issuer = forms.URLField(
        label="Issuer URL", max_length=300, assume_scheme="https",
        help_text=SingleSignOn._meta.get_field("issuer").help_text,
    )
    client_secret = forms.CharField(
        required=False, strip=True, max_length=500,
        validators=[NoControlCharacters("Client secret", multiline=False)],
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Leave blank to keep the current secret.",
    )

    class Meta:
        model = SingleSignOn
        fields = ["enabled", "display_name", "issuer", "client_id", "client_secret", "scopes",
                  "match_by_email", "two_factor_acr_values"]

    def clean_client_secret(self):
        secret = self.cleaned_data.get("client_secret", "")
        if not secret:
            if not (self.instance and self.instance.client_secret):
                raise forms.ValidationError("Enter the client secret the provider gave you.")
            return self.instance.client_secret
        return secret

    @property
    def changed_data(self):
        # A blank secret field means "keep it", not a change.
        changed = super().changed_data
        if not self.data.get("client_secret"):
            changed = [name for name in changed if name != "client_secret"]
        return changed


@admin.register(SingleSignOn)
class SingleSignOnAdmin(TenantScopedAdmin):
    form = SingleSignOnForm
    list_display = ["display_name", "enabled", "issuer", "client_id", "match_by_email"]
    readonly_fields = ["current_secret", "redirect_uri"]
    fields = ["enabled", "display_name", "issuer", "client_id", "current_secret",
              "client_secret", "scopes", "match_by_email", "two_factor_acr_values",
              "redirect_uri"]

    @admin.display(description="current client secret")
    def current_secret(self, obj):
        return obj.masked_secret if obj and obj.pk else "not set"

    @admin.display(description="redirect URI to register with the provider")
    def redirect_uri(self, obj):
        if obj is None or not obj.pk:
            return "shown once saved"
        return settings.SITE_URL + reverse("pcns:sso-callback", args=[obj.tenant.slug])

    def has_add_permission(self, request, *args):
        if not super().has_add_permission(request, *args):
            return False
        return not SingleSignOn.objects.filter(tenant_id=_request_tenant_id(request)).exists()


class SingleSignOnIdentityForm(forms.ModelForm):
    issuer = forms.URLField(max_length=300, assume_scheme="https",
                            help_text="The issuer URL of your place's single sign-on.")

    class Meta:
        model = SingleSignOnIdentity
        fields = ["membership", "issuer", "subject"]

    def clean(self):
        cleaned = super().clean()
        membership, issuer = cleaned.get("membership"), cleaned.get("issuer")
        subject = cleaned.get("subject")
        if membership and issuer and subject:
            # The tenant is not a form field, so Django cannot check this constraint itself.
            taken = SingleSignOnIdentity.objects.filter(
                tenant_id=membership.tenant_id, issuer=issuer, subject=subject
            ).exclude(pk=self.instance.pk)
            if taken.exists():
                raise forms.ValidationError(
                    {"subject": "This subject is already linked to someone in this place."}
                )
        return cleaned


@admin.register(SingleSignOnIdentity)
class SingleSignOnIdentityAdmin(TenantScopedAdmin):
    """Who signs in through single sign-on as whom. Delete a row to unlink a person; add one to
    link a subject (e.g. a CIS2 user id) before their first sign-in."""

    form = SingleSignOnIdentityForm
    list_display = ["membership", "subject", "linked_at", "last_sign_in_at"]
    search_fields = ["subject", "membership__user__email"]
    fields = ["membership", "issuer", "subject", "linked_at", "last_sign_in_at"]
    readonly_fields = ["linked_at", "last_sign_in_at"]
    list_select_related = ["membership__user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "membership":
            kwargs["queryset"] = Membership.objects.filter(
                tenant_id=_request_tenant_id(request)
            ).select_related("user")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        sso = SingleSignOn.objects.filter(tenant_id=_request_tenant_id(request)).first()
        if sso is not None:
            initial.setdefault("issuer", sso.issuer)
        return initial
