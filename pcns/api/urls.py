from django.urls import path
from rest_framework.routers import SimpleRouter

from pcns.api import views

router = SimpleRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("teams", views.TeamViewSet, basename="team")
router.register("staff", views.StaffViewSet, basename="staff")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
