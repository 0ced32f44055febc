from django.urls import include, path

from pcns import import_views, views
from pcns.accounts import views as account_views

app_name = "pcns"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", account_views.sign_in, name="sign-in"),
    path("sign-in/two-factor/", account_views.two_factor_verify, name="two-factor"),
    path("two-factor/set-up/", account_views.two_factor_set_up, name="two-factor-set-up"),
    path("account/", account_views.account, name="account"),
    path("account/two-factor/recovery-codes/", account_views.recovery_codes,
         name="recovery-codes"),
    path("account/two-factor/turn-off/", account_views.two_factor_turn_off,
         name="two-factor-turn-off"),
    path("sign-out/", account_views.sign_out, name="sign-out"),
    path("signed-out/", account_views.signed_out, name="signed-out"),
    path("", include("pcns.accounts.oidc_urls")),
    path("", include("pcns.accounts.password_urls")),
    path("home/vcse/", views.home_vcse, name="home-vcse"),
    path("home/practice/", views.home_practice, name="home-practice"),
    path("home/programme/", views.home_programme, name="home-programme"),
    path("home/admin/", views.home_admin, name="home-admin"),
    path("teams/", views.team_list, name="team-list"),
    path("teams/<uuid:team_id>/", views.team_detail, name="team-detail"),
    path("organisations/", views.organisation_list, name="organisation-list"),
    path(
        "organisations/<uuid:organisation_id>/",
        views.organisation_detail,
        name="organisation-detail",
    ),
    path("admin-tools/imports/", import_views.import_list, name="import-list"),
    path("admin-tools/imports/<uuid:run_id>/", import_views.import_detail, name="import-detail"),
    path("admin-tools/imports/<uuid:run_id>/progress/", import_views.import_progress,
         name="import-progress"),
    path("admin-tools/export/", import_views.export, name="export"),
]
