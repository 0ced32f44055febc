"""Single sign-on pages: start at the provider, come back, and a clear page when refused."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pcns.accounts import oidc, services, two_factor
from pcns.models import Tenant
from pcns.tenancy import tenant_context, tenant_id_for_slug

REFUSED_STATUS = 403


def _tenant_id_or_404(tenant_slug: str):
    tenant_id = tenant_id_for_slug(tenant_slug)
    if tenant_id is None:
        raise Http404
    return tenant_id


def _refused(request: HttpRequest, *, tenant_name: str, refusal: oidc.SignOnRefused,
             turned_off: bool = False) -> HttpResponse:
    return render(
        request,
        "accounts/sso_refused.jinja",
        {"tenant_name": tenant_name, "turned_off": turned_off,
         "unreachable": refusal.reason.startswith("provider unreachable")},
        status=REFUSED_STATUS,
    )


@login_not_required
@require_GET
@never_cache
def sso_start(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """Send the browser to the tenant's identity provider."""
    if request.user.is_authenticated:
        return redirect("pcns:home")
    tenant_id = _tenant_id_or_404(tenant_slug)
    with tenant_context(tenant_id):
        sso = oidc.enabled_sso(tenant_id)
        if sso is None:
            raise Http404  # not set up or turned off: no link on the sign-in page either
        redirect_uri = request.build_absolute_uri(
            reverse("pcns:sso-callback", args=[tenant_slug])
        )
        try:
            url = oidc.authorisation_redirect_url(request, sso=sso, redirect_uri=redirect_uri)
        except oidc.SignOnRefused as refusal:
            return _refused(request, tenant_name=sso.tenant.name, refusal=refusal)
    return redirect(url)


@login_not_required
@require_GET
@never_cache
def sso_callback(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    """The provider sends the browser back here with a code; sign in only a matched member."""
    tenant_id = _tenant_id_or_404(tenant_slug)
    with tenant_context(tenant_id):
        sso = oidc.enabled_sso(tenant_id)
        started = oidc.sign_on_started(request, tenant_slug=tenant_slug)
        try:
            if sso is None:
                raise oidc.SignOnRefused("single sign-on turned off")
            claims = oidc.claims_from_callback(request, sso=sso)
            user = oidc.sso_match(sso=sso, claims=claims)
        except oidc.SignOnRefused as refusal:
            if started:
                oidc.sso_refusal_record(sso=sso, refusal=refusal)
            else:
                oidc.log.info("single sign-on callback with no sign-on started in this "
                              "browser: %s", refusal.reason)
            tenant = sso.tenant if sso else Tenant.objects.get(pk=tenant_id)
            return _refused(request, tenant_name=tenant.name, refusal=refusal,
                            turned_off=sso is None)
    if sso.counts_as_two_factors(claims):
        # The provider says it checked two factors (CIS2: smartcard or authenticator app), so
        # our own code is not asked for.
        services.complete_sign_in(request, user=user, method=f"oidc (acr {claims['acr']})",
                                  two_factors=True)
        return redirect("pcns:home")
    # Otherwise single sign-on is the first factor: anyone who must use two is asked for
    # their authenticator app's code, as after a password.
    return two_factor.begin_second_factor(request, user=user, method="oidc")
