from django.urls import path
from rest_framework.routers import SimpleRouter

from vcse.api import views

router = SimpleRouter(use_regex_path=False)
router.register("services", views.ServiceViewSet, basename="service")
router.register("onward-referrals", views.OnwardReferralViewSet, basename="onward-referral")
router.register("inbox", views.InboxViewSet, basename="inbox")

urlpatterns = [
    *router.urls,
    path("onward-referrals/<uuid:pk>/withdraw-consent/", views.ConsentWithdrawView.as_view(),
         name="onward-referral-withdraw-consent"),
    path("inbox/<uuid:pk>/accept/", views.InboxAcceptView.as_view(), name="inbox-accept"),
    path("inbox/<uuid:pk>/decline/", views.InboxDeclineView.as_view(), name="inbox-decline"),
    path("inbox/<uuid:pk>/close/", views.InboxCloseView.as_view(), name="inbox-close"),
    path("inbox/<uuid:pk>/contacts/", views.InboxContactsView.as_view(), name="inbox-contacts"),
]
