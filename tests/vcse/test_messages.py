"""Messages about an onward referral between the referring team and the partner organisation:
posted from either side's page, plain text with a length cap and a warning against clinical
data, each post and each read audited, read-only once withdrawn, 404 to anyone else, and one
email per message to the other side (a real Celery worker over a real Redis)."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ValidationError
from django.urls import reverse

from config import limits
from config.celery import app
from pcns.models import AuditEvent, Membership, Organisation, Team, TeamMembership
from pcns.tenancy import tenant_context
from tests.factories import make_user
from vcse import messages, services
from vcse.models import OnwardMessage, OnwardReferral
from vcse.tasks import notify_onward_message

HELLO = "Hello, we tried to call twice. Is a morning call better?"


def _in_care_onward(cast) -> OnwardReferral:
    """The cast's onward referral from its referral in care (sent by the connector; the
    clinician is the named worker), accepted by the VCSE worker, with one message already."""
    with tenant_context(cast.tenant.pk):
        return OnwardReferral.objects.select_related("consent").get(tenant=cast.tenant,
                                                                    status="in_progress")


def _thread(cast, onward) -> list[OnwardMessage]:
    with tenant_context(cast.tenant.pk):
        return list(OnwardMessage.objects.filter(onward_referral=onward).order_by("sent_at"))


def _audits(cast, **filters) -> int:
    with tenant_context(cast.tenant.pk):
        return AuditEvent.objects.filter(**filters).count()


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


# --------------------------------------------------------------------------- pages


@pytest.mark.django_db
def test_a_vcse_worker_writes_from_their_inbox_item_and_the_referrer_reads_it(client,
                                                                           tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.vcse_worker)
    page = client.get(reverse("vcse:inbox-detail", args=[onward.pk])).content.decode()
    assert "Send a message to the referring team" in page
    assert "Do not write clinical details" in page
    assert f'maxlength="{limits.MESSAGE}"' in page
    assert reverse("vcse:inbox-messages", args=[onward.pk]) in page

    response = client.post(reverse("vcse:inbox-messages", args=[onward.pk]), {"body": HELLO})
    assert response.status_code == 302
    assert response["Location"] == reverse("vcse:inbox-detail", args=[onward.pk]) + "#messages"
    posted = _thread(tenant_a, onward)[-1]
    assert (posted.body, posted.side, posted.author_id) == (HELLO, "partner",
                                                            tenant_a.vcse_worker.pk)
    assert posted.organisation_id == tenant_a.vcse.pk
    assert _audits(tenant_a, action="create", target_type="vcse.onwardmessage",
                   target_id=str(posted.pk), actor=tenant_a.vcse_worker) == 1

    client.force_login(tenant_a.clinician)
    page = client.get(reverse("vcse:onward-detail", args=[onward.pk])).content.decode()
    assert HELLO.split(".")[0] in page
    assert "Send a message to Northtown Mind" in page and "Do not write clinical details" in page


@pytest.mark.django_db
def test_a_clinician_of_the_referring_team_replies_from_the_onward_referral_page(client,
                                                                                tenant_a):
    onward = _in_care_onward(tenant_a)
    client.force_login(tenant_a.clinician)
    response = client.post(reverse("vcse:onward-messages", args=[onward.pk]),
                           {"body": "Mornings are best.\nShe works afternoons."})
    assert response.status_code == 302
    assert response["Location"] == reverse("vcse:onward-detail", args=[onward.pk]) + "#messages"
    reply = _thread(tenant_a, onward)[-1]
    assert (reply.side, reply.author_id) == ("referrer", tenant_a.clinician.pk)

    client.force_login(tenant_a.vcse_worker)
    page = client.get(reverse("vcse:inbox-detail", args=[onward.pk])).content.decode()
    assert "Mornings are best." in page and "She works afternoons." in page
    assert "The referring team" in page  # which side wrote it


@pytest.mark.django_db
def test_an_empty_or_too_long_message_is_refused_with_the_form_again(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    before = len(_thread(tenant_a, onward))
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-messages", args=[onward.pk])
    response = client.post(url, {"body": "   "})
    assert response.status_code == 400
    assert "Enter your message." in response.content.decode()
    response = client.post(url, {"body": "x" * (limits.MESSAGE + 1)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your message must be 2,000 characters or fewer" in page
    assert 'href="#body"' in page  # the error summary links to the box
    assert len(_thread(tenant_a, onward)) == before


@pytest.mark.django_db
def test_each_read_of_the_thread_is_audited_on_both_sides(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    [message] = _thread(tenant_a, onward)
    read = {"action": "view", "target_type": "vcse.onwardmessage",
            "target_id": str(message.pk), "note": "message thread"}
    client.force_login(tenant_a.vcse_worker)
    client.get(reverse("vcse:inbox-detail", args=[onward.pk]))
    client.get(reverse("vcse:inbox-detail", args=[onward.pk]))
    assert _audits(tenant_a, actor=tenant_a.vcse_worker, **read) == 2
    client.force_login(tenant_a.team_lead)
    client.get(reverse("vcse:onward-detail", args=[onward.pk]))
    client.get(reverse("vcse:onward-messages", args=[onward.pk]))
    assert _audits(tenant_a, actor=tenant_a.team_lead, **read) == 2


@pytest.mark.django_db
def test_once_withdrawn_the_thread_is_read_only(client, tenant_a):
    onward = _in_care_onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk):
        services.consent_withdraw(onward=onward, actor=tenant_a.connector,
                                  version=onward.version)
    before = len(_thread(tenant_a, onward))
    client.force_login(tenant_a.clinician)
    page = client.get(reverse("vcse:onward-detail", args=[onward.pk])).content.decode()
    assert "Is a morning call better?" in page  # still there to read
    assert "no more messages can be sent" in page
    assert "Send a message to" not in page
    response = client.post(reverse("vcse:onward-messages", args=[onward.pk]),
                           {"body": "Are you still there?"})
    assert response.status_code == 400
    assert "no more messages can be sent" in response.content.decode()
    assert len(_thread(tenant_a, onward)) == before
    # The partner's access has ended altogether.
    client.force_login(tenant_a.vcse_worker)
    url = reverse("vcse:inbox-messages", args=[onward.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "Hello?"}).status_code == 404
    with tenant_context(tenant_a.tenant.pk), pytest.raises(ValidationError):
        messages.onward_message_post(onward=onward, actor=tenant_a.vcse_worker,
                                     side="partner", body="Hello?")


@pytest.mark.django_db
def test_another_partner_another_team_and_another_place_get_404(client, tenant_a, tenant_b):
    onward = _in_care_onward(tenant_a)
    before = len(_thread(tenant_a, onward))
    inbox_url = reverse("vcse:inbox-messages", args=[onward.pk])
    onward_url = reverse("vcse:onward-messages", args=[onward.pk])
    outsiders = [(_other_vcse_worker(tenant_a), inbox_url),
                 (tenant_a.other_clinician, onward_url),
                 (tenant_a.vcse_worker, onward_url),  # the partner never sees the referrer's
                 (tenant_a.gp, onward_url), (tenant_a.gp, inbox_url),
                 *[(user, url) for user in tenant_b.users.values()
                   for url in (inbox_url, onward_url)]]
    for user, url in outsiders:
        client.force_login(user)
        assert client.get(url).status_code == 404, (user.email, url)
        assert client.post(url, {"body": "Hello"}).status_code == 404, (user.email, url)
    assert len(_thread(tenant_a, onward)) == before


@pytest.mark.django_db
def test_a_post_queues_one_email_after_commit(tenant_a, django_capture_on_commit_callbacks):
    onward = _in_care_onward(tenant_a)
    with tenant_context(tenant_a.tenant.pk), \
            django_capture_on_commit_callbacks(execute=False) as callbacks:
        messages.onward_message_post(onward=onward, actor=tenant_a.clinician,
                                     side="referrer", body="Thank you")
    emails = [c for c in callbacks if "onward_message_post" in c.__qualname__]
    assert len(emails) == 1  # (the other: the audit row's "records changed" signal)


# --------------------------------------------------------------------------- email


@pytest.fixture
def worker(transactional_db):
    app.conf.update(task_always_eager=False)
    with start_worker(app, perform_ping_check=False, pool="solo", concurrency=1,
                      loglevel="WARNING"):
        yield


def _wait_for(condition, timeout: float = 30.0) -> None:
    """Poll until ``condition()`` holds: the worker runs in its own thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not finish in time")
        time.sleep(0.05)


def test_each_message_emails_the_other_side_once_naming_no_one(worker, tenant_a, mailoutbox):
    cast = tenant_a
    onward = _in_care_onward(cast)
    with tenant_context(cast.tenant.pk):
        person = onward.person
        from_partner = messages.onward_message_post(
            onward=onward, actor=cast.vcse_lead, side="partner", body=HELLO)
    _wait_for(lambda: len(mailoutbox) >= 1)
    [email] = mailoutbox
    # The sender of the onward referral and the person's named worker; not the joint worker.
    assert sorted(email.to) == ["clinician@northtown.test", "connector@northtown.test"]
    assert email.subject == f"New message about onward referral {onward.reference}"
    assert reverse("vcse:onward-detail", args=[onward.pk]) in email.body
    text = f"{email.subject}\n{email.body}"
    for personal in [person.given_name, person.family_name, person.nhs_number, person.phone,
                     "morning call", "rent arrears"]:
        assert personal not in text

    with tenant_context(cast.tenant.pk):
        messages.onward_message_post(onward=onward, actor=cast.clinician, side="referrer",
                                     body="Mornings are best.")
    _wait_for(lambda: len(mailoutbox) >= 2)
    reply = mailoutbox[1]
    # Whoever accepted it and wrote before, and the partner's leads; never the author.
    assert sorted(reply.to) == ["vcse_lead@northtown.test", "vcse_worker@northtown.test"]
    assert reverse("vcse:inbox-detail", args=[onward.pk]) in reply.body
    assert "Mornings" not in reply.body

    # Run again (a retry, a duplicate delivery): already claimed, no second email.
    again = notify_onward_message.delay(tenant_id=str(cast.tenant.pk),
                                        message_id=str(from_partner.pk))
    assert again.get(timeout=30) == 0
    assert len(mailoutbox) == 2
