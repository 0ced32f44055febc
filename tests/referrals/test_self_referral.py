"""The public self-referral form: anyone may refer themselves, nobody learns who is known, and
abuse is refused without a third-party captcha."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from pcns.models import AuditEvent
from pcns.tenancy import tenant_context
from referrals import door_limits
from referrals.models import Person, Referral, ReferralEvent
from tests.factories import make_person

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="started" value="([^"]+)"')


@pytest.fixture(autouse=True)
def quick_and_uncounted(settings):
    """A person here fills the form in no time, and each test starts with no count."""
    settings.SELF_REFERRAL_MIN_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


def _url(cast) -> str:
    return reverse("referrals:self-referral", args=[cast.tenant.slug])


def _form(cast, **overrides) -> dict:
    data = {
        "given_name": "Rowan", "family_name": "Selfsmith", "date_of_birth-day": "7",
        "date_of_birth-month": "9", "date_of_birth-year": "1994", "sex": "female",
        "practice": str(cast.practice.pk), "postcode": "s1 2he", "phone": "07700 900321",
        "preferred_contact_method": "telephone", "presenting_needs": ["anxiety", "isolation"],
        "reason": "I have been feeling anxious and alone since I moved here.",
        "consent_to_share": "on", "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _send(client, cast, **overrides):
    page = client.get(_url(cast))
    assert page.status_code == 200
    token = TOKEN.search(page.content.decode())[1]
    return client.post(_url(cast), {"started": token, **_form(cast, **overrides)})


def test_a_self_referral_lands_awaiting_triage_with_identity_not_yet_checked(client, tenant_a):
    response = _send(client, tenant_a)
    assert response.status_code == 302
    assert response.url == reverse("referrals:self-referral-sent", args=[tenant_a.tenant.slug])
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.select_related("person").get(
            person__family_name="Selfsmith")
        assert referral.source == "self"
        assert referral.status == "awaiting_triage"
        assert referral.team == tenant_a.pcn_team
        assert referral.urgency == "routine"
        assert referral.identity_checked is False
        assert referral.entered_by is None
        assert referral.referrer_organisation is None
        assert referral.person.registered_practice == tenant_a.practice
        assert referral.person.nhs_number == ""
        assert referral.person.nhs_number_missing_reason == "not_yet_traced"
        assert referral.person.postcode == "S1 2HE"
        event = ReferralEvent.objects.get(referral=referral)
        assert event.actor is None and event.actor_label == "Anonymous self-referral"
        created = AuditEvent.objects.filter(action="create", target_id__in=[
            str(referral.pk), str(referral.person_id)])
        assert created.count() == 2
        assert {(e.actor_id, e.actor_label) for e in created} == {
            (None, "Anonymous self-referral")}


def test_the_self_referral_shows_in_the_triage_queue_tagged_identity_not_yet_checked(
    client, tenant_a
):
    assert _send(client, tenant_a).status_code == 302
    client.force_login(tenant_a.clinician)
    queue = client.get(reverse("referrals:triage-queue")).content.decode()
    row = queue[queue.index("Rowan Selfsmith"):]
    row = row[:row.index("</tr>")]
    assert "Self-referral" in row and "Identity not yet checked" in row
    with tenant_context(tenant_a.tenant.pk):
        referral = Referral.objects.get(person__family_name="Selfsmith")
    triage = client.get(reverse("referrals:triage", args=[referral.pk])).content.decode()
    assert "Identity not yet checked" in triage


def test_the_answer_is_the_same_for_a_person_already_known_and_for_a_stranger(tenant_a):
    known = make_person(tenant_a, given_name="Rowan", family_name="Knownperson",
                        date_of_birth=dt.date(1994, 9, 7))
    answers = []
    for family_name in ("Knownperson", "Strangerperson"):
        client = Client()
        response = _send(client, tenant_a, family_name=family_name)
        sent = client.get(response.url)
        answers.append((response.status_code, response.url, sent.status_code,
                        _without_nonces(sent.content.decode())))
    assert answers[0] == answers[1]
    assert "Knownperson" not in answers[0][3]
    with tenant_context(tenant_a.tenant.pk):
        # a separate record, never linked to the known person by what was typed
        assert not Referral.objects.filter(person=known).exists()
        assert Person.objects.filter(family_name="Knownperson").count() == 2


def _without_nonces(html: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", html)


def test_bad_input_gives_inline_errors_and_saves_nothing(client, tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        people, referrals = Person.objects.count(), Referral.objects.count()
    response = _send(client, tenant_a, given_name="", practice=None, consent_to_share=None,
                     presenting_needs=None, phone="", **{"date_of_birth-year": "3000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    for message in ("Enter your first name.", "Choose your GP practice.",
                    "Confirm that you agree", "Choose at least one thing",
                    "Enter a phone number so we can contact you by phone.",
                    "Your date of birth cannot be in the future."):
        assert message in page
    assert 'href="#given_name"' in page
    with tenant_context(tenant_a.tenant.pk):
        assert (Person.objects.count(), Referral.objects.count()) == (people, referrals)


def test_a_practice_of_another_place_cannot_be_chosen(client, tenant_a, tenant_b):
    response = _send(client, tenant_a, practice=str(tenant_b.practice.pk))
    assert response.status_code == 400
    assert "Choose your GP practice from the list." in response.content.decode()


def test_the_honeypot_refuses_a_form_filled_by_a_program(client, tenant_a):
    response = _send(client, tenant_a, website="http://spam.example")
    assert response.status_code == 400
    assert "filled in by an automated program" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Selfsmith").exists()


def test_a_form_sent_back_too_quickly_is_refused(client, tenant_a, settings):
    settings.SELF_REFERRAL_MIN_SECONDS = 600
    response = _send(client, tenant_a)
    assert response.status_code == 400
    assert "sent back too quickly" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Selfsmith").exists()


def test_a_forged_or_missing_time_token_shows_the_form_again_and_saves_nothing(
    client, tenant_a
):
    for token in ("", "forged:token", door_limits.new_token(tenant_a.tenant.slug + "x")):
        response = client.post(_url(tenant_a), {"started": token, **_form(tenant_a)})
        assert response.status_code == 400
        assert "This form was open for too long" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Selfsmith").exists()


def test_the_rate_limit_refuses_more_forms_from_one_address_with_a_clear_message(
    client, tenant_a, settings
):
    settings.SELF_REFERRAL_MAX_PER_ADDRESS = 2
    assert _send(client, tenant_a, family_name="First").status_code == 302
    assert _send(client, tenant_a, family_name="Second").status_code == 302
    response = _send(client, tenant_a, family_name="Third")
    assert response.status_code == 429
    assert "Too many forms have been sent from your connection" in response.content.decode()
    other = Client(REMOTE_ADDR="192.0.2.44")
    assert _send(other, tenant_a, family_name="Fourth").status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Third").exists()
        assert Person.objects.filter(family_name="Fourth").exists()


def test_the_form_is_refused_safely_when_the_cache_cannot_be_reached(client, tenant_a):
    token = TOKEN.search(client.get(_url(tenant_a)).content.decode())[1]
    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:1/0",
                               "OPTIONS": {"socket_connect_timeout": 0.5}}}
    with override_settings(CACHES=unreachable):
        response = client.post(_url(tenant_a), {"started": token, **_form(tenant_a)})
    assert response.status_code == 503
    assert "nothing you typed has been sent" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Selfsmith").exists()


def test_the_public_form_keeps_csrf_protection(tenant_a):
    client = Client(enforce_csrf_checks=True)
    token = TOKEN.search(client.get(_url(tenant_a)).content.decode())[1]
    response = client.post(_url(tenant_a), {"started": token, **_form(tenant_a)})
    assert response.status_code == 403
    with tenant_context(tenant_a.tenant.pk):
        assert not Person.objects.filter(family_name="Selfsmith").exists()


def test_the_public_pages_need_no_sign_in_and_an_unknown_place_is_not_found(client, tenant_a):
    slug = tenant_a.tenant.slug
    for name in ("referrals:self-referral", "referrals:self-referral-sent",
                 "referrals:self-referral-privacy"):
        response = client.get(reverse(name, args=[slug]))
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"] or "no-cache" in response[
            "Cache-Control"]
    assert client.get(reverse("referrals:self-referral", args=["nowhere"])).status_code == 404
    form = client.get(_url(tenant_a)).content.decode()
    assert tenant_a.practice.name in form
    assert "How we use your information" in client.get(
        reverse("referrals:self-referral-privacy", args=[slug])).content.decode()


def _self_referral(client, cast) -> Referral:
    assert _send(client, cast).status_code == 302
    with tenant_context(cast.tenant.pk):
        return Referral.objects.get(person__family_name="Selfsmith")


def test_a_lead_records_how_they_checked_the_identity_and_the_mark_goes(client, tenant_a):
    referral = _self_referral(client, tenant_a)
    client.force_login(tenant_a.team_lead)
    detail = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    url = reverse("referrals:identity-check", args=[referral.pk])
    assert url in detail and "Identity not yet checked" in detail
    refused = client.post(url, {"version": referral.version, "note": ""})
    assert refused.status_code == 400
    assert "Say how you checked who the person is." in refused.content.decode()
    response = client.post(url, {"version": referral.version,
                                 "note": "NHS number traced; date of birth confirmed by phone"})
    assert response.status_code == 302
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
        assert referral.identity_checked
        event = ReferralEvent.objects.get(referral=referral, kind="identity_checked")
        assert event.actor == tenant_a.team_lead
        assert event.reason == "NHS number traced; date of birth confirmed by phone"
    detail = client.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "Identity not yet checked" not in detail
    timeline = client.get(reverse("referrals:timeline", args=[referral.pk])).content.decode()
    assert "Identity checked" in timeline and "confirmed by phone" in timeline


def test_only_mhps_and_leads_of_the_team_may_record_an_identity_check(client, tenant_a):
    referral = _self_referral(client, tenant_a)
    url = reverse("referrals:identity-check", args=[referral.pk])
    expected = {"peer_support": 404, "connector": 404, "other_clinician": 404,
                "vcse_worker": 404, "gp": 404, "clinician": 200}
    for label, status in expected.items():
        client.force_login(tenant_a.users[label])
        assert client.get(url).status_code == status, label
    with tenant_context(tenant_a.tenant.pk):
        referral.refresh_from_db()
        assert not referral.identity_checked


def test_every_public_page_tells_someone_in_crisis_where_to_get_help_now(client, tenant_a):
    slug = tenant_a.tenant.slug
    for name in ("referrals:self-referral", "referrals:self-referral-sent",
                 "referrals:self-referral-privacy"):
        page = client.get(reverse(name, args=[slug])).content.decode()
        assert "not for emergencies" in page, name
        for number in ("999", "111", "116 123"):
            assert number in page, (name, number)


def test_a_window_that_ends_between_counting_steps_starts_again_rather_than_refusing(
        rf, monkeypatch):
    """The address's key can expire between the cache's add and incr: the count starts over."""
    real_add = door_limits.cache.add
    calls = []

    def add_lost_to_expiry(key, value, timeout):
        calls.append(key)
        if len(calls) == 1:
            return True  # as if added, then expired before the increment
        return real_add(key, value, timeout)

    monkeypatch.setattr(door_limits.cache, "add", add_lost_to_expiry)
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    assert door_limits.count_submission(request) is None
    assert len(calls) == 2
