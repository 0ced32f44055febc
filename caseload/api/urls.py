from django.urls import path
from rest_framework.routers import SimpleRouter

from caseload.api import views

router = SimpleRouter(use_regex_path=False)
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("assessments", views.AssessmentViewSet, basename="assessment")
router.register("care-plans", views.CarePlanViewSet, basename="care-plan")
router.register("interventions", views.InterventionViewSet, basename="intervention")
router.register("outcome-measures", views.OutcomeMeasureViewSet, basename="outcome-measure")
router.register("risk-concerns", views.RiskConcernViewSet, basename="risk-concern")

urlpatterns = [
    *router.urls,
    path("contacts/<uuid:pk>/outcome/", views.ContactOutcomeView.as_view(),
         name="contact-outcome"),
    path("interventions/<uuid:pk>/end/", views.InterventionEndView.as_view(),
         name="intervention-end"),
    path("risk-concerns/<uuid:pk>/acknowledge/", views.RiskConcernAcknowledgeView.as_view(),
         name="risk-concern-acknowledge"),
    path("referrals/<uuid:pk>/discharge/", views.ReferralDischargeView.as_view(),
         name="referral-discharge"),
    path("caseload/", views.CaseloadView.as_view(), name="caseload"),
    path("teams/<uuid:pk>/caseload/", views.TeamCaseloadView.as_view(), name="team-caseload"),
]
