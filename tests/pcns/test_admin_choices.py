"""No choice list in the admin offers another tenant's rows, and posting one is a form error."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from pcns.models import Membership, Organisation, Team, TeamMembership
from pcns.tenancy import tenant_context

pytestmark = pytest.mark.django_db


class FormReader(HTMLParser):
    """The admin page's form as a browser would post it, and every option offered."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self.options: list[str] = []
        self.selects: list[str] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.selects.append(name)
            self.data.setdefault(name, "")
        elif tag == "option" and self._select:
            self.options.append(a.get("value") or "")
            if "selected" in a:
                self.data[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def read_form(body: str) -> FormReader:
    reader = FormReader()
    reader.feed(body)
    return reader


def tenant_rows(cast) -> tuple[set[str], set[str]]:
    """Every id and every name-like text of one tenant: its rows in every tenant-owned model
    and its staff's sign-ins."""
    ids, texts = {str(cast.tenant.pk)}, {cast.tenant.name}
    with tenant_context(cast.tenant.pk):
        for model in apps.get_models():
            if any(f.name == "tenant" for f in model._meta.fields):
                ids |= {str(pk) for pk in model._default_manager.values_list("pk", flat=True)}
    for user in cast.users.values():
        ids.add(str(user.pk))
        texts |= {user.email, user.get_full_name()}
    return ids, texts


def admin_pages(cast) -> list[tuple[str, str]]:
    """(label, url) of every registered model's changelist, add form and a change form of one
    of the tenant's own objects."""
    pages = []
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((f"{info} list", reverse(f"{info}_changelist")))
        pages.append((f"{info} add", reverse(f"{info}_add")))
        if model._meta.model_name == "tenant":
            obj_id = cast.tenant.pk
        elif model._meta.model_name == "user":
            obj_id = cast.clinician.pk
        elif any(f.name == "tenant" for f in model._meta.fields):
            with tenant_context(cast.tenant.pk):
                obj_id = model._default_manager.filter(tenant=cast.tenant).values_list(
                    "pk", flat=True).first()
            assert obj_id is not None, f"the cast has no {model.__name__}"
        else:
            continue  # Django's own (groups, tokens): superusers only
        pages.append((f"{info} change", reverse(f"{info}_change", args=[obj_id])))
    return pages


def test_no_admin_page_offers_a_choice_or_a_name_of_another_tenant(client, tenant_a, tenant_b):
    other_ids, other_texts = tenant_rows(tenant_b)
    own_ids, _ = tenant_rows(tenant_a)
    client.force_login(tenant_a.tenant_admin)
    walked = own_offered = 0
    for label, url in admin_pages(tenant_a):
        response = client.get(url)
        assert response.status_code in {200, 403}, (label, response.status_code)
        if response.status_code == 403:
            continue
        walked += 1
        body = response.content.decode()
        form = read_form(body)
        leaked = set(form.options) & other_ids
        assert not leaked, f"{label} offers another tenant's rows"
        uuids = [i for i in other_ids if len(i) == 36]  # short integer ids match anything
        assert not [i for i in uuids if i in body], f"{label} links another tenant's rows"
        own_offered += len(set(form.options) & own_ids)
        assert not [text for text in other_texts if text in body], label
    assert walked >= 15
    assert own_offered > 0  # the choice lists are there, with this tenant's rows in them


def test_the_audit_log_filters_by_this_tenants_staff_only(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    body = client.get(reverse("admin:pcns_auditevent_changelist")).content.decode()
    assert f"actor__id__exact={tenant_a.clinician.pk}" in body
    assert f"actor__id__exact={tenant_b.clinician.pk}" not in body
    assert tenant_b.clinician.get_full_name() not in body


def test_the_membership_form_lists_no_sign_ins_to_choose_from(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    membership = tenant_a.clinician.membership
    url = reverse("admin:pcns_membership_change", args=[membership.pk])
    form = read_form(client.get(url).content.decode())
    assert "user" not in form.selects
    assert client.get(reverse("admin:pcns_membership_add")).status_code == 403
    # Posting another tenant's user changes nothing and breaks nothing.
    data = {**form.data, "user": str(tenant_b.clinician.pk)}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with tenant_context(tenant_a.tenant.pk):
        assert Membership.objects.get(pk=membership.pk).user_id == tenant_a.clinician.pk


def _post_with(client, url: str, field: str, value: str):
    form = read_form(client.get(url).content.decode())
    assert field in form.selects, (url, field, form.selects)
    return client.post(url, {**form.data, field: value})


@pytest.mark.parametrize(("page", "field", "other"), [
    ("team add", "host", lambda b: b.trust.pk),
    ("team change", "host", lambda b: b.trust.pk),
    ("organisation add", "parent", lambda b: b.pcn.pk),
    ("organisation change", "parent", lambda b: b.pcn.pk),
    ("membership change", "employer", lambda b: b.trust.pk),
    ("user change", "membership-0-employer", lambda b: b.trust.pk),
    ("membership change", "teammembership_set-0-team", lambda b: b.pcn_team.pk),
])
def test_posting_another_tenants_id_in_a_choice_is_a_form_error(client, tenant_a, tenant_b,
                                                                 page, field, other):
    client.force_login(tenant_a.tenant_admin)
    model, view = page.split()
    objects = {"team": tenant_a.pcn_team.pk, "organisation": tenant_a.practice.pk,
               "membership": tenant_a.clinician.membership.pk, "user": tenant_a.clinician.pk}
    url = (reverse(f"admin:pcns_{model}_add") if view == "add"
           else reverse(f"admin:pcns_{model}_change", args=[objects[model]]))
    response = _post_with(client, url, field, str(other(tenant_b)))
    assert response.status_code == 200, response.status_code
    assert "Select a valid choice" in response.content.decode()
    with tenant_context(tenant_a.tenant.pk):
        assert not Team.objects.filter(host_id=tenant_b.trust.pk).exists()
        assert not Organisation.objects.filter(parent_id=tenant_b.pcn.pk).exists()
        assert not TeamMembership.objects.filter(team_id=tenant_b.pcn_team.pk).exists()


def test_posting_an_id_that_does_not_exist_is_a_form_error_too(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = _post_with(client, reverse("admin:pcns_team_add"), "host", str(uuid.uuid4()))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
