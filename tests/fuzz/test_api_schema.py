"""Schemathesis against the sync API's own OpenAPI schema (issue 8): no 500, and every answer
matches the schema, with a valid device token and without one.

Runs in-process through Django's WSGI handler, inside the test's database transaction; the
number of examples is bounded so the whole file stays well under a minute.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection

from kpu.services import token_issue
from tests.coklit.conftest import add_voters

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def _one_connection():
    """Keep the test's database connection across requests, as Django's test client does: the
    plain WSGI handler closes it after each request, and with it the test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    add_voters(world.tps1, 3)
    return token_issue(user=world.pantarlih)


def _excluded(case) -> list:
    """SPEC 6: the sync answers a malformed *event* with 200 and that event `rejected` (the rest
    of its batch stands), so an invalid event is not a 4xx; a malformed batch still is
    (tests/coklit/test_api.py holds both)."""
    return [negative_data_rejection] if case.operation.path.endswith("/coklit/sync") else []


@schema.parametrize()
@FUZZ
def test_the_api_keeps_to_its_schema(case, token, world):
    auth = {"Authorization": f"Bearer {token}"}
    case.call_and_validate(headers=auth, excluded_checks=_excluded(case))
    # The same request on the token's own TPS, so the paths past the scope check are fuzzed.
    for name in ("tps_code", "code"):
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = world.tps1.code
            case.call_and_validate(headers=auth, excluded_checks=_excluded(case))
