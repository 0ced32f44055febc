"""Export a tenant, import it into an empty tenant, export again: the files are identical."""

import uuid

import pytest
from django.db.models import Value
from django.db.models.functions import Concat

from pcns.dataset import all_kinds, dataset_export, dataset_import
from pcns.dataset.files import read_csv
from pcns.models import Tenant, User
from pcns.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def empty_tenant(slug: str) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    with tenant_context(tenant_id):
        Tenant.objects.create(id=tenant_id, slug=slug, name=slug.title())
    return tenant_id


def tables_from(files: dict[str, str]):
    import io

    return {kind.name: read_csv(kind, io.StringIO(files[kind.file_name], newline=""))
            for kind in all_kinds()}


def test_export_then_import_into_an_empty_tenant_then_export_gives_identical_files(tenant_a):
    with tenant_context(tenant_a.tenant.pk):
        first = dataset_export()
    # Sign-ins are unique across the service: free them, as moving to a new instance would.
    User.objects.filter(email__endswith="@northtown.test").update(
        email=Concat(Value("moved-"), "email"))
    target = empty_tenant("roundtrip")
    with tenant_context(target):
        report = dataset_import(tables=tables_from(first), actor=None)
        assert report.errors == []
        assert report.imported
        second = dataset_export()
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name] == second[name], name
    # The export is not trivially empty: every kind of record is in it.
    for name, text in first.items():
        assert text.count("\n") > 1, f"{name} has no rows"
