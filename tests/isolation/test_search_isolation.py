"""The patient search (a POST to one address, so not in the walker's id-taking URLs): nobody of
another tenant finds anyone of this one, whatever they type, and only clinical roles may search
at all."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pcns.roles import CLINICAL_ROLES
from pcns.tenancy import tenant_context
from referrals.models import Person

pytestmark = pytest.mark.django_db


def test_no_user_of_another_tenant_finds_anyone_here_and_only_clinical_roles_may_search(
        client, tenant_a, tenant_b):
    with tenant_context(tenant_a.tenant.pk):
        people = list(Person.objects.filter(tenant=tenant_a.tenant, merged_into__isnull=True))
    assert people
    with tenant_context(tenant_b.tenant.pk):
        theirs = {str(pk) for pk in Person.objects.filter(tenant=tenant_b.tenant)
                  .values_list("pk", flat=True)}
    url = reverse("referrals:search")
    for label, user in tenant_b.users.items():
        client.force_login(user)
        clinical = user.membership.role in CLINICAL_ROLES
        assert client.get(url).status_code == (200 if clinical else 403), label
        for person in people:
            for query in [person.nhs_number, person.family_name,
                          f"{person.date_of_birth:%d/%m/%Y}"]:
                response = client.post(url, {"query": query})
                body = response.content.decode()
                if not clinical:
                    assert response.status_code == 403, (label, query)
                    continue
                assert response.status_code == 200, (label, query)
                if query == person.nhs_number:
                    assert "No one found" in body, (label, query)
                # Whoever is found (people of their own place with a similar name or the
                # same birthday) is of their own place.
                found = set(re.findall(r'href="/people/([0-9a-f-]{36})/"', body))
                assert found <= theirs, (label, query)
                assert str(person.pk) not in body

        client.logout()
