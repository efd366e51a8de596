"""Schemathesis drives every operation of /api/v1/openapi.json with generated requests (valid and invalid) as a
manager's token and as a rep's: no request may end in a server error (5xx).

FUZZ_EXAMPLES (default 5 per operation) and FUZZ_COVERAGE=1 (Schemathesis's exhaustive coverage phase) search
harder, outside the suite's time budget."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error

from api.tokens import create_token
from config.wsgi import application
from crm.roles import MANAGERS
from tests import factories

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# Generated examples only (the coverage phase's exhaustive edge cases would take minutes on this suite's budget).
schema.config.phases.coverage.enabled = os.environ.get("FUZZ_COVERAGE") == "1"


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request; inside a test's transaction it must
    not (Django's test client disconnects the same signal handlers)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, make_user, settings, keep_test_connection):
    """A small world (a campaign with a lead, a call, a meeting) so that some generated ids and slugs exist."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100000
    rep = factories.rep("riley")
    campaign = factories.campaign("spring")
    entry = factories.hopper_entry(campaign, factories.lead("+12125550143"))
    call = factories.finished_call(entry, "booked")
    factories.conversation(call)
    factories.meeting(rep, call=call)
    return {
        "manager": create_token(make_user("morgan", MANAGERS), "fuzz")[1],
        "rep": create_token(rep.user, "fuzz")[1],
    }


@schema.parametrize()
@hypothesis_settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5")), deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_no_generated_request_causes_a_server_error(case, tokens):
    for token in tokens.values():
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
