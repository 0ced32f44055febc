from django.urls import path
from rest_framework.routers import SimpleRouter

from referrals.api import views

router = SimpleRouter(use_regex_path=False)
router.register("people", views.PersonViewSet, basename="person")
router.register("referrals", views.ReferralViewSet, basename="referral")
router.register("person-merges", views.PersonMergeViewSet, basename="person-merge")

urlpatterns = [
    *router.urls,
    path("referrals/<uuid:pk>/triage/", views.ReferralTriageView.as_view(),
         name="referral-triage"),
    path("referrals/<uuid:pk>/allocation/", views.ReferralAllocationView.as_view(),
         name="referral-allocation"),
    path("referrals/<uuid:pk>/allocation-candidates/",
         views.ReferralAllocationCandidatesView.as_view(),
         name="referral-allocation-candidates"),
    path("referrals/<uuid:pk>/events/", views.ReferralEventsView.as_view(),
         name="referral-events"),
    path("person-merges/<uuid:pk>/undo/", views.PersonMergeUndoView.as_view(),
         name="person-merge-undo"),
    path("triage-queue/", views.TriageQueueView.as_view(), name="triage-queue"),
    path("practice-referrals/", views.PracticeReferralListView.as_view(),
         name="practice-referral-list"),
]
