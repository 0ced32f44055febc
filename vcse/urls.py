from django.urls import path

from vcse.views import directory, feed, inbox, messages, referrer, report

app_name = "vcse"

urlpatterns = [
    # The service directory (every member of the place) and its upkeep (admins, VCSE leads).
    path("services/", directory.service_list, name="services"),
    path("services/new/", directory.service_new, name="service-new"),
    path("services/<uuid:service_id>/", directory.service_detail, name="service-detail"),
    path("services/<uuid:service_id>/edit/", directory.service_edit, name="service-edit"),
    # The referring side: clinical staff working with the person.
    path("referrals/<uuid:referral_id>/onward/new/", referrer.onward_new, name="onward-new"),
    path("onward-referrals/<uuid:onward_id>/", referrer.onward_detail, name="onward-detail"),
    path("onward-referrals/<uuid:onward_id>/withdraw-consent/", referrer.consent_withdraw,
         name="consent-withdraw"),
    path("onward-referrals/<uuid:onward_id>/messages/", messages.onward_messages,
         name="onward-messages"),
    # The partner's side: VCSE staff of the receiving organisation.
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/<uuid:onward_id>/", inbox.inbox_detail, name="inbox-detail"),
    path("inbox/<uuid:onward_id>/accept/", inbox.accept, name="inbox-accept"),
    path("inbox/<uuid:onward_id>/decline/", inbox.decline, name="inbox-decline"),
    path("inbox/<uuid:onward_id>/contacts/new/", inbox.contact_new, name="inbox-contact-new"),
    path("inbox/<uuid:onward_id>/close/", inbox.close, name="inbox-close"),
    path("inbox/<uuid:onward_id>/messages/", messages.inbox_messages, name="inbox-messages"),
    # The VCSE activity report.
    path("vcse-activity/", report.activity, name="activity"),
    path("vcse-activity.csv", report.activity_csv, name="activity-csv"),
    # The open directory feed (no sign-in; published services only; no personal data).
    path("open-referral/<slug:tenant_slug>/", feed.index, name="oruk-index"),
    path("open-referral/<slug:tenant_slug>/services/", feed.services, name="oruk-services"),
    path("open-referral/<slug:tenant_slug>/services/<uuid:service_id>/", feed.service,
         name="oruk-service"),
]
