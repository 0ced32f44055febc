"""The Jinja2 environment for our pages: NHS.UK frontend macros plus a few Django helpers."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader


def url(name: str, *args: Any, **kwargs: Any) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def uk_date(value: Any) -> str:
    """A date as people in the NHS write it: 3 March 2026."""
    if value is None:
        return ""
    if hasattr(value, "astimezone"):
        value = timezone.localtime(value)
    return f"{value.day} {value:%B %Y}"


def uk_datetime(value: Any) -> str:
    if value is None:
        return ""
    value = timezone.localtime(value)
    return f"{value.day} {value:%B %Y} at {value:%H:%M}"


def field_error(form: Any, name: str) -> dict[str, str] | None:
    """A form field's first error in the shape the NHS.UK macros take, or None."""
    errors = form.errors.get(name) if form is not None else None
    return {"text": str(errors[0])} if errors else None


def sso_sign_in_links() -> list:
    from pcns.accounts.oidc import sign_in_links  # pcns imports config, not the other way

    return sign_in_links()


def environment(**options: Any) -> Environment:
    loader = options.pop("loader")
    options["undefined"] = ChainableUndefined  # the NHS.UK macros read optional nested params
    env = Environment(  # noqa: S701 - Django's backend passes autoescape=True in options
        loader=ChoiceLoader([loader, PackageLoader("nhsuk_frontend_jinja")]), **options
    )
    env.globals.update(
        {"static": static, "url": url, "get_messages": get_messages, "field_error": field_error,
         "sso_sign_in_links": sso_sign_in_links}
    )
    env.filters.update({"uk_date": uk_date, "uk_datetime": uk_datetime})
    return env
