from django.urls import path

from referrals import (
    audit_log,
    correction_views,
    door_views,
    search_views,
    subject_access_views,
    views,
)

app_name = "referrals"

urlpatterns = [
    path("referrals/new/", views.referral_new, name="new"),
    path("referrals/triage/", views.triage_queue, name="triage-queue"),
    path("search/", search_views.person_search, name="search"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="detail"),
    path("referrals/<uuid:referral_id>/timeline/", views.referral_timeline, name="timeline"),
    path("referrals/<uuid:referral_id>/triage/", views.referral_triage, name="triage"),
    path("referrals/<uuid:referral_id>/allocate/", views.referral_allocate, name="allocate"),
    path("referrals/<uuid:referral_id>/identity/", door_views.referral_identity_check,
         name="identity-check"),
    path("teams/<uuid:team_id>/mdt/", views.mdt_list, name="mdt-list"),
    path("practice/referrals/", views.practice_referrals, name="practice-list"),
    path("practice/referrals/new/", door_views.gp_referral_new, name="practice-referral-new"),
    path("self-referral/<slug:tenant_slug>/", door_views.self_referral, name="self-referral"),
    path("self-referral/<slug:tenant_slug>/sent/", door_views.self_referral_sent,
         name="self-referral-sent"),
    path("self-referral/<slug:tenant_slug>/privacy/", door_views.self_referral_privacy,
         name="self-referral-privacy"),
    path("people/<uuid:person_id>/", views.person_detail, name="person-detail"),
    path("people/<uuid:person_id>/edit/", correction_views.person_edit, name="person-edit"),
    path("referrals/<uuid:referral_id>/amend/", correction_views.referral_amend, name="amend"),
    path("people/<uuid:person_id>/merge/", views.person_merge, name="person-merge"),
    path("people/<uuid:person_id>/subject-access/", subject_access_views.subject_access,
         name="person-subject-access"),
    path("people/<uuid:person_id>/subject-access.json", subject_access_views.subject_access_json,
         name="person-subject-access-json"),
    path("people/merges/", views.merge_list, name="merge-list"),
    path("people/merges/<uuid:merge_id>/undo/", views.merge_undo, name="merge-undo"),
    path("admin-tools/audit/", audit_log.audit_log, name="audit-log"),
    path("admin-tools/audit.csv", audit_log.audit_log_csv, name="audit-log-csv"),
]
