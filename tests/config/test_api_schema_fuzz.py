"""Schemathesis over the whole OpenAPI schema: requests generated from the schema for every
operation, as a clinician, a VCSE worker and a programme manager, never give a server error.

The requests go through the WSGI application in this test's own database transaction, so the
cast of tests.factories is there to be found. Path ids are tenant A's real objects where the
isolation walker knows one (so bodies reach the serializers and services), else generated.
The number of examples per operation is bounded to keep the run to a few minutes.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import resolve
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from config.wsgi import application
from tests.isolation.urls import OBJECTS

pytestmark = pytest.mark.django_db

#: Generated requests per operation and user (about 60 operations).
EXAMPLES = 15
SCHEMA_PATH = "/api/v1/schema/?format=json"


@pytest.fixture
def in_this_transaction():
    """The WSGI handler closes a connection in a transaction when a request ends (Django's
    test client switches that off the same way); here the test's transaction must live on."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _real_ids(cast, template: str) -> dict[str, str]:
    """Tenant A's objects for the operation's path parameters, where one is known."""
    probe = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", template)
    match = resolve(probe)
    ids = {}
    for key in match.kwargs:
        finder = OBJECTS.get((f"api:{match.url_name}", key))
        if finder is None:
            return {}
        ids[key] = str(finder(cast))
    return ids


def _fuzz(operation, headers: dict[str, str], ids: dict[str, str], statuses: Counter) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        if ids:
            case.path_parameters = {**(case.path_parameters or {}), **ids}
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.mark.parametrize("label", ["clinician", "vcse_worker", "programme_manager"])
def test_no_generated_request_gives_a_server_error(tenant_a, label, in_this_transaction):
    token, _ = Token.objects.get_or_create(user=tenant_a.users[label])
    headers = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    failures, statuses = [], Counter()
    for operation in operations:
        try:
            _fuzz(operation, headers, _real_ids(tenant_a, operation.path), statuses)
        except (Exception, BaseExceptionGroup) as error:  # Schemathesis's FailureGroup
            # A few lines per failing operation (what failed, how to reproduce); all are listed.
            lines = [line for line in str(error).splitlines() if line.strip()] or [repr(error)]
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            + " | ".join(lines[:3] + [line for line in lines
                                                      if "curl " in line][:1]))
    assert not failures, "\n".join(failures)
    # The user was signed in and the requests reached the views: some succeeded, many were
    # refused as invalid, none was turned away unauthenticated.
    assert statuses[200] + statuses[201] > len(operations), statuses
    assert statuses[400] > len(operations), statuses
    assert 401 not in statuses, statuses
