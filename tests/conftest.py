"""Test set-up: PostgreSQL created and migrated by the owner role; tests run as the application
role, so row-level security is in force in every test exactly as in production."""

from __future__ import annotations

import pytest
from django.test.utils import setup_databases, teardown_databases
from rest_framework.test import APIClient

from pcns.db import owner_connection
from tests.chromium import launched_browser
from tests.factories import build_tenant


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb):
    with django_db_blocker.unblock(), owner_connection():
        config = setup_databases(verbosity=0, interactive=False, keepdb=django_db_keepdb)
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), owner_connection():
            teardown_databases(config, verbosity=0)


@pytest.fixture
def tenant_a(db):
    return build_tenant("northtown")


@pytest.fixture
def tenant_b(db):
    return build_tenant("southvale")


@pytest.fixture
def api():
    """An API client (authenticate it with ``api.force_authenticate(user)``)."""
    return APIClient()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, one for the session (tests/chromium.py says why)."""
    yield from launched_browser()
