from django.urls import path

from caseload.views import caseloads, corrections, home, outcomes, plans, record

app_name = "caseload"

urlpatterns = [
    path("home/clinician/", home.home_clinician, name="home-clinician"),
    path("home/team-lead/", home.home_team_lead, name="home-team-lead"),
    path("caseload/", caseloads.my_caseload, name="mine"),
    path("teams/<uuid:team_id>/caseload/", caseloads.team_caseload, name="team"),
    path("referrals/<uuid:referral_id>/care/", record.care_record, name="record"),
    path("referrals/<uuid:referral_id>/contacts/new/", record.contact_new, name="contact-new"),
    path("teams/<uuid:team_id>/contacts/new/", record.team_contact_new,
         name="team-contact-new"),
    path("contacts/<uuid:contact_id>/outcome/", record.contact_outcome, name="contact-outcome"),
    path("referrals/<uuid:referral_id>/assessments/new/", record.assessment_new,
         name="assessment-new"),
    path("referrals/<uuid:referral_id>/interventions/new/", record.intervention_new,
         name="intervention-new"),
    path("interventions/<uuid:intervention_id>/end/", record.intervention_end,
         name="intervention-end"),
    path("referrals/<uuid:referral_id>/discharge/", record.discharge, name="discharge"),
    path("referrals/<uuid:referral_id>/risk-concerns/new/", record.risk_concern_new,
         name="risk-concern-new"),
    path("risk-concerns/", record.risk_concerns, name="risk-concerns"),
    path("risk-concerns/<uuid:concern_id>/acknowledge/", record.risk_concern_acknowledge,
         name="risk-concern-acknowledge"),
    path("referrals/<uuid:referral_id>/care-plan/", plans.care_plan_edit,
         name="care-plan-edit"),
    path("care-plans/<uuid:plan_id>/versions/<int:number>/", plans.care_plan_version,
         name="care-plan-version"),
    path("care-plans/<uuid:plan_id>/print/", plans.care_plan_print, name="care-plan-print"),
    path("referrals/<uuid:referral_id>/outcomes/", outcomes.outcome_chart, name="outcomes"),
    path("referrals/<uuid:referral_id>/outcomes/new/", outcomes.outcome_new,
         name="outcome-new"),
    path("care-records/<slug:kind>/<uuid:record_id>/correct/",
         corrections.care_record_correct, name="correct"),
    path("revisions/<uuid:revision_id>/", corrections.revision_detail, name="revision"),
]
