from rest_framework.routers import SimpleRouter

from reporting.api import views

router = SimpleRouter(use_regex_path=False)
router.register("metrics", views.MetricValueViewSet, basename="metric")

urlpatterns = [*router.urls]
