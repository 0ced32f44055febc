"""Invitations and password reset (included by pcns/urls.py, so names are ``pcns:...``)."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from pcns.accounts import password_views as views

urlpatterns = [
    path("invitation/<str:token>/", views.invitation_open, name="invitation-open"),
    path("invitation/", views.invitation_set_password, name="invitation-set-password"),
    path("password-reset/", login_not_required(views.ResetRequestView.as_view()),
         name="password-reset"),
    path("password-reset/sent/", login_not_required(views.ResetSentView.as_view()),
         name="password-reset-sent"),
    path("password-reset/<uidb64>/<token>/", login_not_required(views.ResetConfirmView.as_view()),
         name="password-reset-confirm"),
]
