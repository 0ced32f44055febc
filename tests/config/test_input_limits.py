"""A NUL byte and an oversized value in every field of every form and every parameter of every
endpoint: a 400 or the page again with an inline error, never a 500 and never accepted.

Pages and their forms are found by walking the URL patterns (the isolation test's walker) and
reading each page's HTML; API operations and their fields come from the OpenAPI schema.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import resolve, reverse

from config import limits
from tests.isolation.test_cross_tenant_urls import OWNER
from tests.isolation.urls import OBJECTS, plain_urls, urls_for

pytestmark = pytest.mark.django_db

NUL = "ab\x00cd"
ESCAPE = "ab\x1bcd"
OVERSIZED = "x" * (limits.NOTE + 1)

#: Pages not walked, and why.
SKIP = {
    "pcns:sign-out",  # ends the session the walk runs in
    "admin:logout",
    "pcns:export", "pcns:signed-out",  # no fields
    "api:schema", "api:docs",
}
#: Forms that post somewhere the walk must not go (they end the session).
SKIP_ACTIONS = {"/sign-out/", "/admin/logout/"}
TEXT_INPUTS = {"text", "search", "email", "tel", "url", "number", "password", "hidden", ""}
#: The admin's own machinery, not typed input: an inline row's id and parent, the empty
#: template row, and the changelist's "select all" for actions.
ADMIN_MACHINERY = re.compile(r"__prefix__|-(id|membership|user|organisation)$|^select_across$")


class _Forms(HTMLParser):
    """The forms of a page: method, action and fields (name -> type, default value)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(),
                               "action": a.get("action") or "", "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "").lower()
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if name not in fields or "checked" in a:
                    fields[name] = (kind, a.get("value", "on"))
                return
            fields[name] = (kind, a.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            fields[name] = ("select", "")
        elif tag == "option" and self._select:
            kind, value = self.forms[-1]["fields"][self._select]
            if not value or "selected" in a:
                fields[self._select] = ("select", a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ("textarea", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] = ("textarea", data.strip())


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _pages(cast) -> list[tuple[str, str]]:
    """(name, url) of every page outside the API, objects filled in from tenant A's cast."""
    pages = [(name, url) for name, url in urls_for(cast) + plain_urls()
             if not name.startswith("api:") and not name.endswith(("_delete", "_history"))]
    return [(name, url) for name, url in pages if name not in SKIP
            and not name.startswith("vcse:oruk")]


def _user_for(cast, name: str):
    label = next((who for prefix, who in OWNER.items() if name.startswith(prefix)),
                 "tenant_admin")
    if name.startswith(("vcse:inbox", "pcns:home-vcse")):
        label = "vcse_worker"
    return cast.users[label]


def _refused(response) -> bool:
    """A 400, or the form again (200) with an inline error."""
    if response.status_code == 400:
        return True
    body = response.content.decode(errors="replace")
    return response.status_code == 200 and ("nhsuk-error-message" in body
                                             or "nhsuk-error-summary" in body
                                             or "errornote" in body or "errorlist" in body)


def test_every_page_refuses_a_nul_byte_or_an_oversized_value_in_the_query_string(client,
                                                                                tenant_a):
    problems = []
    for name, url in _pages(tenant_a):
        client.force_login(_user_for(tenant_a, name))
        page = client.get(url)
        names = {"q", "page", "search"}
        if page.status_code == 200 and "html" in page.get("Content-Type", ""):
            for form in _forms(page.content.decode()):
                if form["method"] == "get":
                    names |= set(form["fields"])
        for value in (NUL, ESCAPE, "x" * (limits.QUERY_VALUE + 1)):
            response = client.get(f"{url}?{urlencode(dict.fromkeys(sorted(names), value))}")
            if response.status_code != 400:
                problems.append(f"{name} ?{sorted(names)}={value[:4]!r}: "
                                f"{response.status_code}")
    assert not problems, "\n".join(problems)


def test_the_open_feed_answers_a_nul_byte_with_a_json_400(client, tenant_a):
    url = reverse("vcse:oruk-services", args=[tenant_a.tenant.slug])
    for query in ("text=%00", "taxonomy_id=a%00", "page=%00", "per_page=1%00"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert response["Content-Type"] == "application/json"
        assert "control characters" in response.json()["message"]


def test_the_admins_search_and_filters_answer_a_nul_byte_with_a_400(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    url = reverse("admin:pcns_organisation_changelist")
    for query in ("q=%00", "kind__exact=%00", "o=1%00"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert "There is a problem with the request" in response.content.decode()


def test_every_form_refuses_a_nul_byte_a_control_character_or_an_oversized_value(client,
                                                                               tenant_a):
    problems, tried = [], 0
    for name, url in _pages(tenant_a):
        client.force_login(_user_for(tenant_a, name))
        page = client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for form in _forms(page.content.decode()):
            action = urlsplit(form["action"] or url).path or url
            if form["method"] != "post" or action in SKIP_ACTIONS:
                continue
            base = {field: value for field, (kind, value) in form["fields"].items()}
            for field, (kind, _value) in form["fields"].items():
                if (field == "csrfmiddlewaretoken" or kind not in TEXT_INPUTS | {"textarea"}
                        or (name.startswith("admin:") and ADMIN_MACHINERY.search(field))):
                    continue
                for bad in (NUL, ESCAPE, OVERSIZED):
                    tried += 1
                    response = client.post(action, {**base, field: bad})
                    if not _refused(response):
                        problems.append(f"{name} {action} {field}={bad[:4]!r}: "
                                        f"{response.status_code}")
    assert tried > 100
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- the API


def _schema(api, user) -> dict:
    api.force_authenticate(user)
    return api.get(reverse("api:schema"), {"format": "json"}).json()


def _deref(schema: dict, node: dict) -> dict:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node, seen = target, seen + 1
    if isinstance(node, dict) and "allOf" in node and len(node["allOf"]) == 1:
        return _deref(schema, node["allOf"][0])
    return node


def _path_for(cast, template: str) -> str | None:
    """The schema's path with its ids filled from tenant A's cast (None: no object known)."""
    probe = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", template)
    match = resolve(probe)
    name = f"api:{match.url_name}"
    kwargs = {}
    for key in match.kwargs:
        finder = OBJECTS.get((name, key))
        if finder is None:
            return None
        kwargs[key] = finder(cast)
    return reverse(name, kwargs=kwargs)


def _operations(cast, schema: dict):
    for template, methods in schema["paths"].items():
        path = _path_for(cast, template)
        if path is None:
            continue
        for method, operation in methods.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield template, method, path, operation


def _body_fields(schema: dict, operation: dict) -> dict[str, dict]:
    content = (operation.get("requestBody") or {}).get("content", {})
    body = _deref(schema, content.get("application/json", {}).get("schema", {}))
    return {name: _deref(schema, prop) for name, prop in (body.get("properties") or {}).items()
            if not prop.get("readOnly")}


def _as(prop: dict, value: str):
    return [value] if prop.get("type") == "array" else value


@pytest.mark.parametrize("label", ["clinician", "vcse_worker", "programme_manager",
                                   "tenant_admin"])
def test_every_api_operation_refuses_a_nul_byte_or_an_oversized_value(api, tenant_a, label):
    user = tenant_a.users[label]
    schema = _schema(api, user)
    problems, tried = [], 0
    for template, method, path, operation in _operations(tenant_a, schema):
        query = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for bad in (NUL, "x" * (limits.QUERY_VALUE + 1)):
            if query:
                tried += 1
                response = api.generic(method.upper(), f"{path}?"
                                       f"{urlencode(dict.fromkeys(query, bad))}")
                if response.status_code != 400:
                    problems.append(f"{method} {template} ?{query}: {response.status_code}")
        if method not in {"post", "put", "patch"}:
            continue
        for field, prop in _body_fields(schema, operation).items():
            targets = [(field, prop, None)]
            if prop.get("type") == "object" and prop.get("properties"):
                targets = [(sub, _deref(schema, p), field)
                           for sub, p in prop["properties"].items() if not p.get("readOnly")]
            for name, sub, parent in targets:
                for bad in (NUL, ESCAPE, OVERSIZED):
                    value = _as(sub, bad)
                    body = {parent: {name: value}} if parent else {name: value}
                    tried += 1
                    response = api.generic(method.upper(), path, data=json.dumps(body),
                                           content_type="application/json")
                    ok = response.status_code in (400, 403, 404, 405)
                    typed = sub.get("type") == "string" or (
                        sub.get("type") == "array"
                        and _deref(schema, sub.get("items", {})).get("type") == "string")
                    if response.status_code == 400 and typed:
                        errors = response.json().get("errors", {})
                        ok = name in errors or (parent in errors) or any(
                            key.startswith(f"{name}") for key in errors)
                    if not ok:
                        problems.append(f"{label} {method} {template} {name}={bad[:4]!r}: "
                                        f"{response.status_code} {response.content[:200]!r}")
    assert tried > 50
    assert not problems, "\n".join(problems)


def test_the_admin_refuses_a_control_character_in_a_name_inline(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("admin:pcns_team_add"), {
        "name": "New\x1bteam", "kind": "pcn_team", "host": str(tenant_a.pcn.pk),
        "is_active": "on"})
    assert response.status_code == 200
    assert "must not contain control characters" in response.content.decode()


def test_adding_a_team_whose_name_is_taken_in_the_admin_is_a_form_error(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    response = client.post(reverse("admin:pcns_team_add"), {
        "name": tenant_a.pcn_team.name, "kind": "pcn_team", "host": str(tenant_a.pcn.pk),
        "is_active": "on"})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


def test_the_sign_in_page_refuses_a_nul_byte_inline(client, tenant_a):
    for data in ({"email": "a\x00@example.org", "password": "x"},
                 {"email": tenant_a.clinician.email, "password": "pass\x00word"}):
        response = client.post(reverse("pcns:sign-in"), data)
        assert _refused(response), response.status_code


# --------------------------------------------------------------------------- one source


def test_a_reason_for_referral_over_its_limit_is_refused_with_a_message_naming_it(client, api,
                                                                                  tenant_a):
    message = "Reason for referral must be 5,000 characters or fewer"
    client.force_login(tenant_a.clinician)
    page = client.post(reverse("referrals:new"), {"reason": "x" * (limits.REASON + 1)})
    assert message in page.content.decode()
    api.force_authenticate(tenant_a.clinician)
    response = api.post(reverse("api:referral-list"), {"reason": "x" * (limits.REASON + 1)},
                        format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["reason"] == [message]
    response = api.post(reverse("api:referral-list"), {"reason": "x" * limits.REASON},
                        format="json")
    assert "reason" not in response.json()["errors"]


def test_the_database_refuses_a_note_longer_than_its_limit_whatever_writes_it(tenant_a):
    from django.db import IntegrityError, transaction

    from pcns.tenancy import tenant_context
    from referrals.models import Referral

    with tenant_context(tenant_a.tenant.pk):
        referrals = Referral.objects.filter(tenant=tenant_a.tenant)
        with pytest.raises(IntegrityError, match="referral_reason_max_length"), \
                transaction.atomic():
            referrals.update(reason="x" * (limits.REASON + 1))
        assert referrals.update(reason="x" * limits.REASON) >= 1


def test_a_nul_byte_in_the_web_address_is_a_400_page_before_sign_in_too(client):
    for url in ("/sign-in/?next=/%00", "/referrals/%00/", "/admin/login/?next=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "There is a problem with the request" in response.content.decode()


# --------------------------------------------------------------------------- every field


APPS = ("pcns", "referrals", "caseload", "vcse", "reporting")


def _subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _import_app_modules() -> None:
    import importlib
    import pkgutil

    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if module.name.rsplit(".", 1)[-1].endswith(("forms", "serializers")):
                importlib.import_module(module.name)


def _limited(field) -> bool:
    return bool(field.max_length) and any(isinstance(v, limits.NoControlCharacters)
                                          for v in field.validators)


def test_every_text_field_of_every_model_has_a_limit_and_a_database_check():
    from django.apps import apps
    from django.contrib.postgres.fields import ArrayField
    from django.db import models

    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in APPS:
            continue
        checks = {c.name for c in model._meta.constraints}
        for field in model._meta.concrete_fields:
            base = field.base_field if isinstance(field, ArrayField) else field
            if not isinstance(base, models.TextField):
                continue
            if not _limited(base):
                missing.append(f"{model.__name__}.{field.name}: no limit")
            if base is field and not any(name.endswith(f"_{field.name}_max_length")
                                         for name in checks):
                missing.append(f"{model.__name__}.{field.name}: no database check")
    assert not missing, "\n".join(missing)


def test_every_typed_text_of_every_form_and_api_input_has_a_limit():
    from django import forms
    from rest_framework import serializers

    _import_app_modules()
    missing, checked = [], 0
    for form in _subclasses(forms.BaseForm):
        if form.__module__.split(".")[0] not in APPS:
            continue
        # A model form's own fields come from the model (its length); the admin adds the
        # control-character check to them (pcns.admin.TypedTextMixin, walked above).
        fields = (form.declared_fields if issubclass(form, forms.BaseModelForm)
                  else getattr(form, "base_fields", {}))
        for name, field in fields.items():
            if type(field) is forms.CharField and "password" not in name:
                checked += 1
                if not _limited(field):
                    missing.append(f"{form.__module__}.{form.__name__}.{name}")
    for serializer in _subclasses(serializers.Serializer):
        if (serializer.__module__.split(".")[0] not in APPS
                or not serializer.__name__.endswith("Input")):
            continue
        for name, field in serializer._declared_fields.items():
            field = getattr(field, "child", field)
            if type(field) is serializers.CharField:
                checked += 1
                if not _limited(field):
                    missing.append(f"{serializer.__module__}.{serializer.__name__}.{name}")
    assert checked > 60
    assert not missing, "\n".join(missing)
