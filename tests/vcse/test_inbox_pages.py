"""The VCSE inbox pages (the partner's side): the tabbed list, one onward referral, accept,
decline, log a contact, close, and the VCSE home page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pcns.models import AuditEvent, Membership, Organisation, Team, TeamMembership
from pcns.tenancy import tenant_context
from referrals.models import Referral
from tests.factories import make_onward_referral, make_person, make_referral, make_user
from vcse import services
from vcse.models import Consent, OnwardReferral, VcseContact
from vcse.workdays import working_days_between

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
ACTIONS = ["vcse:inbox-accept", "vcse:inbox-decline", "vcse:inbox-contact-new",
           "vcse:inbox-close"]


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}


def _uk(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _onward(cast, family_name: str = "", *, days_ago: int = 0, **overrides) -> OnwardReferral:
    """A new onward referral to the cast's VCSE service, from a fresh person's referral, sent
    ``days_ago`` days ago."""
    sent = TODAY - dt.timedelta(days=days_ago)
    person = make_person(cast, **({"family_name": family_name} if family_name else {}))
    referral = make_referral(cast, person=person,
                             received_on=sent - dt.timedelta(days=1))
    return make_onward_referral(cast, referral=referral, sent_on=sent, consent_given_on=sent,
                                **overrides)


def _fresh(cast, onward: OnwardReferral) -> OnwardReferral:
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("consent").get(pk=onward.pk)


def _in_care_onward(cast) -> OnwardReferral:
    """The cast's onward referral from its referral in care: accepted, one contact, so in
    progress."""
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("consent").get(tenant=cast.tenant,
                                                                    status="in_progress")


def _accept(cast, onward: OnwardReferral) -> OnwardReferral:
    with tenant_context(cast.tenant.pk):
        return services.onward_referral_accept(onward=onward, actor=cast.vcse_lead,
                                               version=onward.version)


def _other_vcse_worker(cast):
    """A VCSE worker of another VCSE organisation in the same place."""
    with tenant_context(cast.tenant.pk):
        organisation = Organisation.objects.create(tenant=cast.tenant, kind="vcse",
                                                   name="Eastfield Carers Centre")
        team = Team.objects.create(tenant=cast.tenant, name="Eastfield carers service",
                                   kind="vcse_service", host=organisation)
        user = make_user(f"carers@{cast.tenant.slug}.test", first_name="Casey",
                         last_name="Carer")
        membership = Membership.objects.create(tenant=cast.tenant, user=user,
                                               role="vcse_worker", employer=organisation)
        TeamMembership.objects.create(tenant=cast.tenant, membership=membership, team=team)
    return user


def _inbox(client, tab: str = "new", **params) -> str:
    response = client.get(reverse("vcse:inbox"), {"tab": tab, **params})
    assert response.status_code == 200
    return response.content.decode()


def _contact_post(**overrides) -> dict:
    data = {**_date("on", TODAY), "mode": "telephone", "attendance": "attended",
            "duration_minutes": "30", "support_types": ["debt_advice", "housing"],
            "note": "Went through the bills together."}
    data.update(overrides)
    return data


def _close_post(onward: OnwardReferral, **overrides) -> dict:
    data = {"version": str(onward.version), "outcome": "completed",
            "note": "Debt plan agreed and a benefits claim made.", **_date("closed_on", TODAY)}
    data.update(overrides)
    return data


def _answers_404_everywhere(client, onward: OnwardReferral) -> None:
    assert client.get(reverse("vcse:inbox-detail", args=[onward.pk])).status_code == 404
    for name in ACTIONS:
        url = reverse(name, args=[onward.pk])
        assert client.get(url).status_code == 404, name
        data = {"version": str(onward.version), "reason": "no_capacity",
                "outcome": "completed", **_contact_post()}
        assert client.post(url, data).status_code == 404, name


# --------------------------------------------------------------------------- the list


def test_a_vcse_worker_sees_their_organisations_onward_referrals_in_the_right_tabs(
    client, tenant_a
):
    new = _onward(tenant_a, "Newcombe")
    accepted = _accept(tenant_a, _onward(tenant_a, "Ackroyd"))
    declined = _onward(tenant_a, "Decker")
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_decline(onward=declined, actor=tenant_a.vcse_lead,
                                         version=declined.version, reason="no_capacity")
    client.force_login(tenant_a.vcse_worker)

    page = _inbox(client, "new")
    for label in ["New (1)", "Accepted (1)", "In progress (1)", "Closed (1)"]:
        assert label in page
    assert "Alex Newcombe" in page and "Ackroyd" not in page
    assert reverse("vcse:inbox-detail", args=[new.pk]) in page
    assert "0 working days" in page

    page = _inbox(client, "accepted")
    assert "Alex Ackroyd" in page and "Newcombe" not in page
    assert reverse("vcse:inbox-detail", args=[accepted.pk]) in page

    in_care = _in_care_onward(tenant_a)
    page = _inbox(client, "in_progress")
    assert in_care.shared["family_name"] in page and "Newcombe" not in page

    page = _inbox(client, "closed")
    assert "Alex Decker" in page and "Declined: No capacity at the moment" in page
    assert "Newcombe" not in page and "Ackroyd" not in page


def test_an_unknown_tab_shows_the_new_ones(client, tenant_a):
    _onward(tenant_a, "Newcombe")
    client.force_login(tenant_a.vcse_worker)
    assert "Alex Newcombe" in _inbox(client, "everything")


def test_the_inbox_shows_working_days_waiting_and_flags_one_unanswered_for_10_working_days(
    client, tenant_a
):
    old = _onward(tenant_a, "Oldfield", days_ago=20)
    _onward(tenant_a, "Youngman")
    with tenant_context(tenant_a.tenant.pk):
        assert services.flag_unanswered(onward_id=old.pk, flagged_on=TODAY)
    client.force_login(tenant_a.vcse_worker)
    page = _inbox(client, "new")
    waited = working_days_between(old.sent_on, TODAY)
    assert waited >= 10
    row = page[page.index("Alex Oldfield"):]
    row = row[:row.index("</tr>")]
    assert f"{waited} working days" in row
    assert "No answer after 10 working days" in row
    young = page[page.index("Alex Youngman"):]
    assert "No answer after 10 working days" not in young[:young.index("</tr>")]


def test_a_closed_onward_referral_shows_its_outcome_in_the_closed_tab(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                       version=onward.version, outcome="referred_on")
    client.force_login(tenant_a.vcse_worker)
    page = _inbox(client, "closed")
    row = page[page.index(onward.shared["family_name"]):]
    row = row[:row.index("</tr>")]
    assert "Referred on to another service" in row
    assert 'aria-hidden="true">Contacts </span>1</td>' in row


@pytest.mark.parametrize("label", ["clinician", "team_lead", "connector", "peer_support", "gp",
                                   "programme_manager", "tenant_admin"])
def test_staff_who_are_not_vcse_staff_get_403_on_the_inbox(client, tenant_a, label):
    client.force_login(tenant_a.users[label])
    assert client.get(reverse("vcse:inbox")).status_code == 403


def test_viewing_the_inbox_list_audits_each_person_shown(client, tenant_a):
    client.force_login(tenant_a.vcse_worker)
    _inbox(client, "in_progress")
    with tenant_context(tenant_a.tenant.pk):
        shown = set(OnwardReferral.objects.filter(organisation=tenant_a.vcse,
                                                  status="in_progress").values_list("pk",
                                                                                    flat=True))
        audited = AuditEvent.objects.filter(action="view", actor=tenant_a.vcse_worker,
                                            target_type="vcse.onwardreferral", note="inbox")
        assert shown and {uuid.UUID(a) for a in audited.values_list("target_id", flat=True)} \
            == shown


def _inbox_queries(client) -> tuple[int, str]:
    client.get(reverse("vcse:inbox"))  # warm the session and the membership
    with CaptureQueriesContext(connection) as queries:
        page = _inbox(client, "new")
    return len(queries), page


def test_the_inbox_is_paginated_and_takes_the_same_number_of_queries_for_2_or_25_rows(
    client, tenant_a
):
    client.force_login(tenant_a.vcse_worker)
    first = [_onward(tenant_a) for _ in range(2)]
    with tenant_context(tenant_a.tenant.pk):
        services.flag_unanswered(onward_id=first[0].pk, flagged_on=TODAY)
    few, page = _inbox_queries(client)
    assert sum(reverse("vcse:inbox-detail", args=[o.pk]) in page for o in first) == 2
    more = [_onward(tenant_a) for _ in range(25)]
    many, page = _inbox_queries(client)
    assert few == many
    assert many <= 16
    everyone = first + more
    on_page_1 = sum(reverse("vcse:inbox-detail", args=[o.pk]) in page for o in everyone)
    page_2 = _inbox(client, "new", page=2)
    on_page_2 = sum(reverse("vcse:inbox-detail", args=[o.pk]) in page_2 for o in everyone)
    assert (on_page_1, on_page_2) == (25, 2)


# --------------------------------------------------------------------------- who may see it


def test_a_worker_of_another_vcse_organisation_gets_404_and_does_not_see_it_listed(
    client, tenant_a
):
    onward = _onward(tenant_a, "Newcombe")
    in_care = _in_care_onward(tenant_a)
    client.force_login(_other_vcse_worker(tenant_a))
    for tab in ["new", "in_progress"]:
        page = _inbox(client, tab)
        assert "Newcombe" not in page and in_care.shared["family_name"] not in page
    _answers_404_everywhere(client, onward)
    _answers_404_everywhere(client, in_care)
    assert _fresh(tenant_a, onward).status == "sent"
    assert _fresh(tenant_a, in_care).status == "in_progress"


def test_a_vcse_worker_of_another_place_gets_404(client, tenant_a, tenant_b):
    onward = _onward(tenant_a, "Newcombe")
    client.force_login(tenant_b.vcse_worker)
    assert "Newcombe" not in _inbox(client, "new")
    _answers_404_everywhere(client, onward)


def test_after_consent_is_withdrawn_the_detail_and_every_action_answer_404(client, tenant_a):
    onward = _onward(tenant_a, "Withers")
    client.force_login(tenant_a.vcse_worker)
    assert client.get(reverse("vcse:inbox-detail", args=[onward.pk])).status_code == 200
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.connector,
                                  version=onward.version)
    assert "Withers" not in _inbox(client, "new")
    _answers_404_everywhere(client, onward)


def test_after_consent_is_withdrawn_from_work_in_progress_it_leaves_every_tab(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.connector,
                                  version=onward.version)
    client.force_login(tenant_a.vcse_worker)
    for tab in ["new", "accepted", "in_progress", "closed"]:
        assert onward.shared["family_name"] not in _inbox(client, tab)
    _answers_404_everywhere(client, onward)


def test_once_consent_has_expired_the_detail_and_every_action_answer_404(client, tenant_a):
    onward = _onward(tenant_a, "Expiry", days_ago=10)
    client.force_login(tenant_a.vcse_worker)
    assert "Alex Expiry" in _inbox(client, "new")
    with tenant_context(tenant_a.tenant.pk):
        Consent.objects.filter(onward_referral=onward).update(
            expires_on=TODAY - dt.timedelta(days=1))
    assert "Expiry" not in _inbox(client, "new")
    _answers_404_everywhere(client, onward)


# --------------------------------------------------------------------------- the detail page


def test_the_detail_shows_the_shared_snapshot_and_nothing_from_the_care_record(
    client, tenant_a
):
    onward = _in_care_onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.select_related("person").get(pk=onward.referral_id)
        Referral.objects.filter(pk=referral.pk).update(
            reason="Struggling since a bereavement last spring")
        person = referral.person
    client.force_login(tenant_a.vcse_worker)
    response = client.get(reverse("vcse:inbox-detail", args=[onward.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{person.given_name} {person.family_name}" in page
    assert person.phone in page and person.postcode in page
    assert "Worried about rent arrears" in page  # the onward referral's own reason
    assert "Money advice from this service" in page  # what consent was given for
    assert _uk(onward.consent.expires_on) in page
    assert "Welfare and benefits advice" in page  # the contact's support type
    dob = person.date_of_birth
    for secret in [person.nhs_number, f"{person.nhs_number[:3]} {person.nhs_number[3:6]}",
                   _uk(dob), f"{dob:%d/%m/%Y}", dob.isoformat(),
                   "Struggling since a bereavement", "Low mood since losing work",
                   "No current risk to self or others", "Get back into a routine",
                   "Call the crisis line", "PHQ-9", "Mentioned money worries"]:
        assert secret not in page, secret


def test_the_detail_page_never_reads_the_person_or_the_referral(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    client.get(reverse("vcse:inbox-detail", args=[onward.pk]))  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("vcse:inbox-detail", args=[onward.pk]))
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in queries)
    assert '"vcse_onwardreferral"' in sql
    for table in ['"referrals_person"', '"referrals_referral"', '"caseload_']:
        assert table not in sql, table


def test_the_detail_shows_risk_information_only_when_it_was_shared(client, tenant_a):
    with_risk = _onward(tenant_a, "Riskley", share_risk=True,
                        risk_information="Can become distressed in crowded places")
    client.force_login(tenant_a.vcse_worker)
    page = client.get(reverse("vcse:inbox-detail", args=[with_risk.pk])).content.decode()
    assert "Can become distressed in crowded places" in page
    without = _onward(tenant_a, "Norisk")
    page = client.get(reverse("vcse:inbox-detail", args=[without.pk])).content.decode()
    assert "Risk information" not in page


def test_viewing_the_detail_is_audited(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    client.get(reverse("vcse:inbox-detail", args=[onward.pk]))
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="view", actor=tenant_a.vcse_worker,
                                         target_id=str(onward.pk)).count() == 1


def test_a_new_onward_referral_offers_accept_and_decline_and_one_in_progress_contacts_and_close(
    client, tenant_a
):
    new = _onward(tenant_a, "Newcombe")
    client.force_login(tenant_a.vcse_worker)
    page = client.get(reverse("vcse:inbox-detail", args=[new.pk])).content.decode()
    assert f'action="{reverse("vcse:inbox-accept", args=[new.pk])}"' in page
    assert f'name="version" value="{new.version}"' in page
    assert reverse("vcse:inbox-decline", args=[new.pk]) in page
    assert reverse("vcse:inbox-contact-new", args=[new.pk]) not in page
    in_care = _in_care_onward(tenant_a)
    page = client.get(reverse("vcse:inbox-detail", args=[in_care.pk])).content.decode()
    assert reverse("vcse:inbox-contact-new", args=[in_care.pk]) in page
    assert reverse("vcse:inbox-close", args=[in_care.pk]) in page
    assert reverse("vcse:inbox-accept", args=[in_care.pk]) not in page


# --------------------------------------------------------------------------- accept


def test_a_vcse_worker_accepts_a_new_onward_referral(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-accept", args=[onward.pk]),
                           {"version": str(onward.version)})
    assert response.status_code == 302
    assert response["Location"] == reverse("vcse:inbox-detail", args=[onward.pk])
    saved = _fresh(tenant_a, onward)
    assert saved.status == "accepted" and saved.responded_by_id == tenant_a.vcse_worker.pk


def test_accept_takes_post_only(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    assert client.get(reverse("vcse:inbox-accept", args=[onward.pk])).status_code == 405
    assert _fresh(tenant_a, onward).status == "sent"


def test_accepting_after_someone_else_answered_answers_409(client, tenant_a):
    onward = _onward(tenant_a)
    read_version = onward.version
    _accept(tenant_a, onward)  # the lead accepts first
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-accept", args=[onward.pk]),
                           {"version": str(read_version)})
    assert response.status_code == 409
    assert "Someone else changed this onward referral" in response.content.decode()
    assert _fresh(tenant_a, onward).responded_by_id == tenant_a.vcse_lead.pk


def test_accepting_a_declined_onward_referral_goes_back_with_a_message(client, tenant_a):
    onward = _onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        onward = services.onward_referral_decline(onward=onward, actor=tenant_a.vcse_lead,
                                                  version=onward.version, reason="no_capacity")
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-accept", args=[onward.pk]),
                           {"version": str(onward.version)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("vcse:inbox-detail", args=[onward.pk])
    assert "This onward referral is declined, so it cannot be accepted." in (
        response.content.decode())
    assert _fresh(tenant_a, onward).status == "declined"


# --------------------------------------------------------------------------- decline


def test_a_vcse_worker_declines_with_a_reason(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-decline", args=[onward.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": str(onward.version), "reason": "not_eligible"})
    assert response.status_code == 302
    saved = _fresh(tenant_a, onward)
    assert (saved.status, saved.decline_reason) == ("declined", "not_eligible")


def test_declining_for_another_reason_needs_a_note(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-decline", args=[onward.pk])
    response = client.post(url, {"version": str(onward.version), "reason": "other", "note": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say why, so the referrer can find the person something else." in page
    assert 'id="note-error"' in page
    assert _fresh(tenant_a, onward).status == "sent"
    response = client.post(url, {"version": str(onward.version), "reason": "other",
                                 "note": "We only work with carers."})
    assert response.status_code == 302
    saved = _fresh(tenant_a, onward)
    assert (saved.status, saved.decline_note) == ("declined", "We only work with carers.")


def test_declining_without_a_reason_answers_400_and_saves_nothing(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-decline", args=[onward.pk]),
                           {"version": str(onward.version)})
    assert response.status_code == 400
    assert "Choose why you are declining." in response.content.decode()
    assert _fresh(tenant_a, onward).status == "sent"


def test_declining_with_a_stale_version_answers_409(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-decline", args=[onward.pk]),
                           {"version": str(onward.version + 1), "reason": "no_capacity"})
    assert response.status_code == 409
    assert _fresh(tenant_a, onward).status == "sent"


def test_the_decline_page_explains_when_it_can_no_longer_be_declined(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-decline", args=[onward.pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This onward referral is in progress, so it cannot be declined." in page
    assert 'name="reason"' not in page
    response = client.post(url, {"version": str(onward.version), "reason": "no_capacity"})
    assert response.status_code == 400
    assert _fresh(tenant_a, onward).status == "in_progress"


# --------------------------------------------------------------------------- contacts


def test_logging_a_contact_with_two_support_types_moves_it_to_in_progress(client, tenant_a):
    onward = _accept(tenant_a, _onward(tenant_a))
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-contact-new", args=[onward.pk])
    page = client.get(url).content.decode()
    assert f'name="on-day" type="text" value="{TODAY.day}"' in page  # today by default
    response = client.post(url, _contact_post())
    assert response.status_code == 302
    assert _fresh(tenant_a, onward).status == "in_progress"
    with tenant_context(tenant_a.tenant.pk):
        contact = VcseContact.objects.get(onward_referral=onward)
    assert contact.support_types == ["debt_advice", "housing"]
    assert (contact.on, contact.duration_minutes, contact.attendance) == (TODAY, 30, "attended")
    detail = client.get(reverse("vcse:inbox-detail", args=[onward.pk])).content.decode()
    assert "Debt advice, Housing support" in detail


def test_a_contact_that_did_not_happen_is_logged_without_support(client, tenant_a):
    onward = _accept(tenant_a, _onward(tenant_a))
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-contact-new", args=[onward.pk]),
                           _contact_post(attendance="did_not_attend", support_types=[],
                                         duration_minutes=""))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        contact = VcseContact.objects.get(onward_referral=onward)
    assert (contact.attendance, contact.support_types) == ("did_not_attend", [])


def test_an_attended_contact_without_support_answers_400_and_saves_nothing(client, tenant_a):
    onward = _accept(tenant_a, _onward(tenant_a))
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-contact-new", args=[onward.pk]),
                           _contact_post(support_types=[],
                                         **_date("on", TODAY + dt.timedelta(days=2))))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the support given." in page and 'id="support_types-error"' in page
    assert "The date of the contact cannot be in the future." in page
    assert '>Went through the bills together.</textarea>' in page  # what was typed is kept
    with tenant_context(tenant_a.tenant.pk):
        assert not VcseContact.objects.filter(onward_referral=onward).exists()
    assert _fresh(tenant_a, onward).status == "accepted"


def test_a_contact_form_with_missing_and_overlong_fields_answers_400_inline(client, tenant_a):
    onward = _accept(tenant_a, _onward(tenant_a))
    client.force_login(tenant_a.vcse_worker)
    response = client.post(reverse("vcse:inbox-contact-new", args=[onward.pk]),
                           _contact_post(mode="", duration_minutes="half an hour",
                                         note="x" * 501, support_types=["debt_advice"]))
    assert response.status_code == 400
    page = response.content.decode()
    for message in ["Choose how the contact happened.", "Enter the duration in whole minutes.",
                    "Keep the note to 500 characters."]:
        assert message in page
    assert 'value="debt_advice" checked' in page  # what was ticked is kept
    with tenant_context(tenant_a.tenant.pk):
        assert not VcseContact.objects.filter(onward_referral=onward).exists()


def test_the_contact_form_explains_that_a_new_onward_referral_must_be_accepted_first(
    client, tenant_a
):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-contact-new", args=[onward.pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "cannot be given a contact (accept it first)" in page
    assert 'name="mode"' not in page
    assert client.post(url, _contact_post()).status_code == 400
    with tenant_context(tenant_a.tenant.pk):
        assert not VcseContact.objects.filter(onward_referral=onward).exists()


# --------------------------------------------------------------------------- close


def test_a_vcse_worker_closes_with_an_outcome_and_a_note_for_the_referrer(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-close", args=[onward.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, _close_post(onward))
    assert response.status_code == 302
    saved = _fresh(tenant_a, onward)
    assert (saved.status, saved.outcome, saved.closed_on) == ("closed", "completed", TODAY)
    assert saved.outcome_note == "Debt plan agreed and a benefits claim made."
    detail = client.get(reverse("vcse:inbox-detail", args=[onward.pk])).content.decode()
    assert "Support completed" in detail and "Debt plan agreed" in detail
    assert reverse("vcse:inbox-contact-new", args=[onward.pk]) not in detail


def test_closing_without_an_outcome_or_with_a_future_date_answers_400(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-close", args=[onward.pk])
    response = client.post(url, _close_post(onward, outcome=""))
    assert response.status_code == 400
    assert "Choose the outcome." in response.content.decode()
    response = client.post(url, _close_post(
        onward, **_date("closed_on", TODAY + dt.timedelta(days=1))))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The date it closed cannot be in the future." in page
    assert 'id="closed_on-date-error"' in page
    assert _fresh(tenant_a, onward).status == "in_progress"


def test_closing_a_version_read_before_the_last_change_answers_409(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    stale = _close_post(onward, version=str(onward.version - 1))  # read before the contact
    response = client.post(reverse("vcse:inbox-close", args=[onward.pk]), stale)
    assert response.status_code == 409
    assert "Reload the onward referral" in response.content.decode()
    assert _fresh(tenant_a, onward).status == "in_progress"


def test_the_close_page_explains_that_a_new_onward_referral_cannot_be_closed(client, tenant_a):
    onward = _onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    response = client.get(reverse("vcse:inbox-close", args=[onward.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "This onward referral is new, so it cannot be closed." in page
    assert 'name="outcome"' not in page


# --------------------------------------------------------------------------- the VCSE home


def test_the_vcse_home_shows_the_inbox_counts_and_how_many_are_unanswered(client, tenant_a):
    old = _onward(tenant_a, days_ago=20)
    _onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.flag_unanswered(onward_id=old.pk, flagged_on=TODAY)
    client.force_login(tenant_a.vcse_lead)
    response = client.get(reverse("pcns:home-vcse"))
    assert response.status_code == 200
    page = response.content.decode()
    assert tenant_a.vcse.name in page
    for tab, count in [("new", 2), ("accepted", 0), ("in_progress", 1), ("closed", 0)]:
        card = page[page.index(f'class="nhsuk-card__link" href="{reverse("vcse:inbox")}'
                               f'?tab={tab}"'):]
        card = card[:card.index("</li>")]
        assert f'<p class="nhsuk-card__description nhsuk-heading-l">{count}</p>' in card, tab
    assert '<strong id="unanswered-count">1</strong>' in page
