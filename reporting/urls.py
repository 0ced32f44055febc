from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("team/", views.team, name="team"),
    path("mine/", views.mine, name="mine"),
    path("runs/", views.runs, name="runs"),
    path("refresh-status/", views.refresh_status, name="refresh-status"),
    path("export.csv", views.export, name="export"),
]
