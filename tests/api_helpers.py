"""Helpers shared by the API tests: URLs by name, and reads inside a cast's tenant."""

from __future__ import annotations

from django.urls import reverse

from pcns.tenancy import tenant_context


def api_url(name: str, obj=None) -> str:
    return reverse(f"api:{name}", kwargs={"pk": obj.pk} if obj is not None else None)


def count_in(cast, model, **filters) -> int:
    with tenant_context(cast.tenant.pk):
        return model.objects.filter(**filters).count()


def reload_in(cast, obj):
    with tenant_context(cast.tenant.pk):
        return type(obj).objects.get(pk=obj.pk)
