"""The referring side's pages: refer a person on with their consent, follow the onward referral
(status, answer, contacts, outcome, timeline), withdraw consent, and the onward referrals on the
person's care record."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from caseload import services as care_services
from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import services as referral_services
from referrals.models import Referral, ReferralEvent
from tests.factories import Cast, make_onward_referral, make_referral, make_service
from vcse import presenters, selectors, services
from vcse.forms import months_after
from vcse.models import Consent, OnwardReferral, OnwardReferralEvent, Service

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _date(prefix: str, day: dt.date) -> dict[str, str]:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month),
            f"{prefix}-year": str(day.year)}


def _allocated(cast: Cast, **person) -> Referral:
    """A referral received 10 days ago, allocated to the clinician with the peer support worker
    and the connector joint."""
    referral = make_referral(cast, received_on=TODAY - dt.timedelta(days=10))
    with tenant_context(cast.tenant.pk):
        if person:
            for name, value in person.items():
                setattr(referral.person, name, value)
            referral.person.save(update_fields=list(person))
        referral = referral_services.referral_accept(referral=referral, actor=cast.team_lead,
                                                     version=referral.version)
        referral = referral_services.referral_allocate(
            referral=referral, actor=cast.team_lead, version=referral.version,
            worker=cast.clinician.membership,
            joint_workers=[cast.peer_support.membership, cast.connector.membership])
        return Referral.objects.select_related("person").get(pk=referral.pk)


def _service(cast: Cast) -> Service:
    with tenant_context(cast.tenant.pk):
        return Service.objects.get(organisation=cast.vcse, name="Money and benefits advice")


def _existing(cast: Cast) -> OnwardReferral:
    """The cast's accepted onward referral, with one contact."""
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("referral").get(organisation=cast.vcse)


def _onward_post(service: Service, **overrides) -> dict:
    data = {
        "service": str(service.pk),
        "reason": "Rent arrears are keeping them awake; they would like a benefits check.",
        "needs": ["debt_advice", "welfare_benefits"],
        "consent_given_by": "person", "consent_given_by_name": "",
        **_date("consent_given_on", TODAY),
        "consent_purpose": "Money advice from this service",
        **_date("consent_expires_on", TODAY + dt.timedelta(days=90)),
        "share_risk": "no", "risk_information": "",
    }
    data.update(overrides)
    return data


def _date_shown(page: str, name: str) -> tuple[int, ...]:
    """The day, month and year a date input shows."""
    return tuple(int(re.search(rf'name="{name}-{part}"[^>]*value="(\d*)"', page).group(1))
                 for part in ("day", "month", "year"))


def _counts(cast: Cast) -> tuple[int, int, int]:
    with tenant_context(cast.tenant.pk):
        return (OnwardReferral.objects.count(), Consent.objects.count(),
                ReferralEvent.objects.filter(kind="onward_referral_sent").count())


# --------------------------------------------------------------------------- the onward form


@pytest.mark.parametrize(("day", "expected"), [
    (dt.date(2026, 3, 15), dt.date(2026, 9, 15)),
    (dt.date(2026, 8, 31), dt.date(2027, 2, 28)),
    (dt.date(2027, 8, 31), dt.date(2028, 2, 29)),
    (dt.date(2026, 12, 1), dt.date(2027, 6, 1)),
])
def test_consent_lasts_six_months_by_default_even_from_a_months_last_day(day, expected):
    assert months_after(day, 6) == expected


@pytest.mark.parametrize("label", ["clinician", "team_lead", "connector", "peer_support"])
def test_the_onward_form_shows_staff_on_the_referral_what_will_be_shared(client, tenant_a,
                                                                         label):
    referral = _allocated(tenant_a, email="alex@example.org", address="2 Mill Lane")
    client.force_login(getattr(tenant_a, label))
    response = client.get(reverse("vcse:onward-new", args=[referral.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "What will be shared" in page and referral.person.full_name in page
    assert "07700 900123" in page and "alex@example.org" in page
    assert "2 Mill Lane" in page and "S1 2HE" in page and "Telephone" in page
    assert "Money and benefits advice (Northtown Mind)" in page
    expires = months_after(TODAY, 6)
    assert _date_shown(page, "consent_expires_on") == (expires.day, expires.month, expires.year)
    assert _date_shown(page, "consent_given_on") == (TODAY.day, TODAY.month, TODAY.year)
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="view", target_id=str(referral.pk),
                                         note="onward referral form").count() == 1


def test_a_postcode_without_an_address_is_not_shown_as_the_address():
    rows = dict(presenters.contact_detail_rows({"given_name": "Alex", "postcode": "S10 9HP"}))
    assert (rows["Address"], rows["Postcode"]) == ("Not recorded", "S10 9HP")


def test_the_onward_form_offers_only_open_services_and_preselects_one(client, tenant_a):
    referral = _allocated(tenant_a)
    closed = make_service(tenant_a, name="Full for now", is_open=False)
    garden = make_service(tenant_a, name="Growing together", categories=["community_garden"])
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("vcse:onward-new", args=[referral.pk]),
                      {"service": str(garden.pk)}).content.decode()
    assert "Full for now" not in page and str(closed.pk) not in page
    assert f'<option value="{garden.pk}" selected' in page


@pytest.mark.parametrize("label", ["vcse_worker", "vcse_lead", "gp", "programme_manager",
                                   "other_clinician", "tenant_admin"])
def test_staff_not_working_with_the_person_cannot_open_the_onward_form(client, tenant_a,
                                                                       label):
    referral = _allocated(tenant_a)
    client.force_login(getattr(tenant_a, label))
    url = reverse("vcse:onward-new", args=[referral.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _onward_post(_service(tenant_a))).status_code == 404


def test_another_tenants_clinician_cannot_open_the_onward_form(client, tenant_a, tenant_b):
    referral = _allocated(tenant_a)
    client.force_login(tenant_b.clinician)
    assert client.get(reverse("vcse:onward-new", args=[referral.pk])).status_code == 404


def test_a_discharged_referral_cannot_be_referred_on(client, tenant_a):
    referral = _allocated(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        care_services.referral_discharge(referral=referral, actor=tenant_a.clinician,
                                         version=referral.version, reason="goals_met",
                                         on=TODAY)
    client.force_login(tenant_a.clinician)
    url = reverse("vcse:onward-new", args=[referral.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _onward_post(_service(tenant_a))).status_code == 403
    page = client.get(reverse("caseload:record", args=[referral.pk])).content.decode()
    assert url not in page


def test_sending_records_the_onward_referral_consent_snapshot_and_timeline(client, tenant_a):
    referral = _allocated(tenant_a, email="alex@example.org")
    service = _service(tenant_a)
    client.force_login(tenant_a.connector)
    response = client.post(reverse("vcse:onward-new", args=[referral.pk]), _onward_post(
        service, consent_given_by="representative", consent_given_by_name="Sam Carer",
        share_risk="yes", risk_information="Low mood; no risk to others."))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.get(referral=referral)
        consent = onward.consent
        event = ReferralEvent.objects.get(referral=referral, kind="onward_referral_sent")
        assert OnwardReferralEvent.objects.filter(onward_referral=onward, kind="sent").exists()
    assert response["Location"] == reverse("vcse:onward-detail", args=[onward.pk])
    assert (onward.service_id, onward.organisation_id, onward.sent_by_id) == (
        service.pk, tenant_a.vcse.pk, tenant_a.connector.pk)
    assert onward.needs == ["debt_advice", "welfare_benefits"]
    assert (consent.given_by, consent.given_by_name, consent.given_on) == (
        "representative", "Sam Carer", TODAY)
    assert consent.expires_on == TODAY + dt.timedelta(days=90)
    assert consent.includes_risk and consent.organisation_id == tenant_a.vcse.pk
    assert consent.recorded_by_id == tenant_a.connector.pk
    assert event.details["onward_referral"] == str(onward.pk)
    person = referral.person
    assert onward.shared == {
        "given_name": person.given_name, "family_name": person.family_name,
        "phone": "07700 900123", "email": "alex@example.org", "address": "",
        "postcode": "S1 2HE", "preferred_contact_method": "Telephone",
        "needs": ["Debt advice", "Welfare and benefits advice"],
        "risk": "Low mood; no risk to others.",
    }
    snapshot = json.dumps(onward.shared)
    for clinical in [person.nhs_number, person.date_of_birth.isoformat(), "1985",
                     "date_of_birth", "nhs_number", "low_mood", "Dr Patel", "assessment"]:
        assert clinical not in snapshot, clinical


def test_risk_information_is_not_shared_unless_the_person_agreed(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:onward-new", args=[referral.pk]),
                           _onward_post(_service(tenant_a)))
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        onward = OnwardReferral.objects.select_related("consent").get(referral=referral)
    assert onward.shared["risk"] == "" and not onward.consent.includes_risk


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"consent_given_on-day": "", "consent_given_on-month": "", "consent_given_on-year": ""},
     "consent_given_on", "Enter the date consent was given."),
    ({"consent_given_by": "representative"}, "consent_given_by_name",
     "Enter the name of who consented for them."),
    ({"risk_information": "Has a dog that can be aggressive."}, "risk_information",
     "Risk information can only be shared if the person agreed to it."),
    ({"consent_given_by": ""}, "consent_given_by", "Choose who gave consent."),
    ({"needs": []}, "needs", "Choose at least one need."),
    ({"consent_given_on-month": "13"}, "consent_given_on",
     "The date consent was given must be a real date."),
])
def test_an_invalid_onward_referral_is_refused_inline_and_nothing_is_saved(
    client, tenant_a, overrides, field, message
):
    referral = _allocated(tenant_a)
    before = _counts(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:onward-new", args=[referral.pk]),
                           _onward_post(_service(tenant_a), **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert f'href="#{field}"' in page
    assert 'Rent arrears are keeping them awake' in page  # what was typed is kept
    assert _counts(tenant_a) == before


def test_a_closed_service_is_refused_by_name_and_nothing_is_saved(client, tenant_a):
    referral = _allocated(tenant_a)
    closed = make_service(tenant_a, name="Full for now", is_open=False)
    before = _counts(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:onward-new", args=[referral.pk]),
                           _onward_post(closed))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Full for now is not taking referrals at the moment." in page
    assert 'href="#service"' in page
    assert _counts(tenant_a) == before


def test_several_problems_are_shown_together(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:onward-new", args=[referral.pk]), _onward_post(
        _service(tenant_a), reason="", consent_given_by="representative",
        risk_information="Something"))
    assert response.status_code == 400
    page = response.content.decode()
    for message in ["Say why you are referring them", "Enter the name of who consented",
                    "Risk information can only be shared"]:
        assert message in page, message


# --------------------------------------------------------------------------- the referrer's view


def test_the_referrer_sees_status_consent_what_was_shared_contacts_and_timeline(client,
                                                                              tenant_a):
    onward = _existing(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.get(reverse("vcse:onward-detail", args=[onward.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ["Accepted", "Money and benefits advice", "Northtown Mind",
                 onward.reason, "Debt advice, Welfare and benefits advice",
                 "The person themselves", "Money advice from this service",
                 "Not to be shared", onward.shared["family_name"], "07700 900123",
                 "Contacts by Northtown Mind (1)", "Telephone", "Attended",
                 "Welfare and benefits advice", "Sent with consent", "Contact logged",
                 "Withdraw consent", reverse("vcse:consent-withdraw", args=[onward.pk])]:
        assert text in page, text
    with tenant_context(tenant_a.tenant.pk):
        assert AuditEvent.objects.filter(action="view", target_id=str(onward.pk),
                                         note="onward referral").count() == 1


def test_the_referrer_sees_a_decline_with_its_reason(client, tenant_a):
    referral = _allocated(tenant_a)
    onward = make_onward_referral(tenant_a, referral=referral)
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_decline(onward=onward, actor=tenant_a.vcse_worker,
                                         version=onward.version, reason="no_capacity",
                                         note="Try again in the spring.")
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("vcse:onward-detail", args=[onward.pk])).content.decode()
    assert "Declined" in page and "No capacity at the moment" in page
    assert "Try again in the spring." in page
    assert "Withdraw consent" in page  # consent still stands, so it can still be withdrawn


def test_the_referrer_sees_the_outcome_and_the_note_left_for_them(client, tenant_a):
    onward = _existing(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                       version=onward.version, outcome="completed",
                                       note="Benefits check done; award increased.")
    client.force_login(tenant_a.peer_support)
    page = client.get(reverse("vcse:onward-detail", args=[onward.pk])).content.decode()
    assert "Closed" in page and "Support completed" in page
    assert "Benefits check done; award increased." in page


def test_an_unanswered_onward_referral_shows_its_flag(client, tenant_a):
    referral = _allocated(tenant_a)
    onward = make_onward_referral(tenant_a, referral=referral)
    client.force_login(tenant_a.clinician)
    url = reverse("vcse:onward-detail", args=[onward.pk])
    assert "No answer after 10 working days" not in client.get(url).content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert services.flag_unanswered(onward_id=onward.pk, flagged_on=TODAY)
    page = client.get(url).content.decode()
    assert "No answer after 10 working days" in page and "has not answered yet" in page


@pytest.mark.parametrize("label", ["vcse_worker", "vcse_lead", "gp", "programme_manager",
                                   "other_clinician", "tenant_admin"])
def test_staff_not_working_with_the_person_cannot_see_the_referrers_view(client, tenant_a,
                                                                         label):
    onward = _existing(tenant_a)
    client.force_login(getattr(tenant_a, label))
    assert client.get(reverse("vcse:onward-detail", args=[onward.pk])).status_code == 404
    url = reverse("vcse:consent-withdraw", args=[onward.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"version": str(onward.version), **_date("on", TODAY)}
                       ).status_code == 404


def test_another_tenants_clinician_cannot_see_the_referrers_view(client, tenant_a, tenant_b):
    onward = _existing(tenant_a)
    client.force_login(tenant_b.clinician)
    assert client.get(reverse("vcse:onward-detail", args=[onward.pk])).status_code == 404


# --------------------------------------------------------------------------- withdrawing consent


def test_withdrawing_consent_ends_the_partners_access(client, tenant_a):
    onward = _existing(tenant_a)
    inbox_url = reverse("vcse:inbox-detail", args=[onward.pk])
    client.force_login(tenant_a.vcse_worker)
    assert client.get(inbox_url).status_code == 200
    with tenant_context(tenant_a.tenant.pk):
        assert onward in selectors.inbox_for_user(tenant_a.vcse_worker)

    client.force_login(tenant_a.clinician)
    url = reverse("vcse:consent-withdraw", args=[onward.pk])
    page = client.get(url).content.decode()
    assert f'name="version" value="{onward.version}"' in page
    assert f'value="{TODAY.day}"' in page  # the date defaults to today
    response = client.post(url, {"version": str(onward.version), **_date("on", TODAY),
                                 "note": "They no longer want the service to hold details."})
    assert response.status_code == 302
    assert response["Location"] == reverse("vcse:onward-detail", args=[onward.pk])
    with tenant_context(tenant_a.tenant.pk):
        onward.refresh_from_db()
        consent = Consent.objects.get(onward_referral=onward)
    assert onward.status == "withdrawn"
    assert (consent.withdrawn_on, consent.withdrawn_recorded_by_id) == (TODAY,
                                                                       tenant_a.clinician.pk)

    page = client.get(reverse("vcse:onward-detail", args=[onward.pk])).content.decode()
    assert "Withdrawn: consent ended" in page and "Consent withdrawn" in page
    assert reverse("vcse:consent-withdraw", args=[onward.pk]) not in page
    assert client.get(url).status_code == 403

    client.force_login(tenant_a.vcse_worker)
    assert client.get(inbox_url).status_code == 404
    with tenant_context(tenant_a.tenant.pk):
        assert onward not in selectors.inbox_for_user(tenant_a.vcse_worker)


def test_a_withdrawal_from_a_stale_page_answers_409(client, tenant_a):
    onward = _existing(tenant_a)
    stale = onward.version
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                       version=onward.version, outcome="completed")
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:consent-withdraw", args=[onward.pk]),
                           {"version": str(stale), **_date("on", TODAY)})
    assert response.status_code == 409
    assert "Someone else changed this onward referral" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert Consent.objects.get(onward_referral=onward).withdrawn_on is None


def test_a_second_withdrawal_from_an_old_page_answers_409_not_403(client, tenant_a):
    onward = _existing(tenant_a)
    url = reverse("vcse:consent-withdraw", args=[onward.pk])
    form = {"version": str(onward.version), **_date("on", TODAY)}
    client.force_login(tenant_a.clinician)
    assert client.post(url, form).status_code == 302
    client.force_login(tenant_a.peer_support)
    assert client.post(url, form).status_code == 409


def test_a_withdrawal_dated_in_the_future_is_refused_inline(client, tenant_a):
    onward = _existing(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:consent-withdraw", args=[onward.pk]), {
        "version": str(onward.version), **_date("on", TODAY + dt.timedelta(days=2))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The date consent was withdrawn cannot be in the future." in page
    assert 'href="#on"' in page
    with tenant_context(tenant_a.tenant.pk):
        assert Consent.objects.get(onward_referral=onward).withdrawn_on is None


# --------------------------------------------------------------------------- the care record


def test_the_care_record_lists_onward_referrals_and_offers_to_refer_on(client, tenant_a):
    onward = _existing(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.onward_referral_close(onward=onward, actor=tenant_a.vcse_worker,
                                       version=onward.version, outcome="ongoing")
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("caseload:record", args=[onward.referral_id])).content.decode()
    section = page[page.index('id="onward-referrals"'):]
    section = section[:section.index("</table>")]
    assert reverse("vcse:onward-detail", args=[onward.pk]) in section
    for text in ["Money and benefits advice", "Northtown Mind", "Closed",
                 "Carrying on independently", f"{TODAY.day} {TODAY:%B %Y}"]:
        assert text in section, text
    assert '<td class="nhsuk-table__cell">1</td>' in section  # one contact
    assert reverse("vcse:onward-new", args=[onward.referral_id]) in page


def test_the_care_record_says_when_there_are_no_onward_referrals(client, tenant_a):
    referral = _allocated(tenant_a)
    client.force_login(tenant_a.peer_support)
    page = client.get(reverse("caseload:record", args=[referral.pk])).content.decode()
    assert "No onward referrals yet." in page
    assert reverse("vcse:onward-new", args=[referral.pk]) in page


def _record_queries(client, referral) -> int:
    url = reverse("caseload:record", args=[referral.pk])
    client.get(url)  # warm the session and the membership
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_care_record_takes_the_same_queries_for_1_or_4_onward_referrals(client, tenant_a):
    referral = _allocated(tenant_a)
    names = ["Growing together", "Walk and talk", "Carers line", "Warm homes"]
    made = [make_service(tenant_a, name=name) for name in names]
    client.force_login(tenant_a.clinician)
    make_onward_referral(tenant_a, referral=referral, service=made[0])
    one = _record_queries(client, referral)
    for service in made[1:]:
        make_onward_referral(tenant_a, referral=referral, service=service)
    four = _record_queries(client, referral)
    assert one == four
