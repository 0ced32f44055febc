from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from pcns import views as pcns_views
from pcns.accounts import views as account_views

api_v1 = [
    path("", include("pcns.api.urls")),
    path("", include("referrals.api.urls")),
    path("", include("caseload.api.urls")),
    path("", include("vcse.api.urls")),
    path("", include("reporting.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the CSP needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", include("pcns.urls")),
    path("", include("referrals.urls")),
    path("", include("caseload.urls")),
    path("", include("vcse.urls")),
    path("metrics/", include("reporting.urls")),
    # The admin signs in and out through our own pages (throttling, two factors, audit).
    path("admin/login/", account_views.admin_sign_in),
    path("admin/logout/", account_views.sign_out),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
]

handler400 = pcns_views.bad_request
handler403 = pcns_views.permission_denied
handler404 = pcns_views.page_not_found
handler500 = pcns_views.server_error
