"""Single sign-on URLs; included from pcns/urls.py, so their names are ``pcns:sso-...``."""

from django.urls import path

from pcns.accounts import oidc_views

urlpatterns = [
    path("sign-in/sso/<slug:tenant_slug>/", oidc_views.sso_start, name="sso-start"),
    path("sign-in/sso/<slug:tenant_slug>/callback/", oidc_views.sso_callback,
         name="sso-callback"),
]
