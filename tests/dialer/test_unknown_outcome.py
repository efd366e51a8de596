"""Dials whose outcome is unknown (accepted, then a 5xx, a read timeout or a reset) are never dialed twice."""
import datetime as dt

import pytest
import time_machine

from campaigns.models import CampaignLead
from crm.models import Call
from dialer import placing
from dialer.sweeper import sweep
from dialer.tasks import place_call as place_call_task
from tests import factories

from .conftest import at
from .test_place_call import NOON_NY, claimed_call


@pytest.fixture
def short_timeout(settings, twilio):
    settings.TWILIO_HTTP_TIMEOUT_SECONDS = 0.3
    twilio.hold_seconds = 1.0
    return twilio


@pytest.mark.parametrize("kind", ["5xx", "timeout", "reset"])
def test_a_dial_accepted_then_failed_is_adopted_not_dialed_again(running_campaign, short_timeout, eager, kind):
    twilio = short_timeout
    call = claimed_call(running_campaign(caller_id="+14155550100"))
    twilio.accept_then(kind)

    with time_machine.travel(NOON_NY, tick=False):
        result = place_call_task.delay(call.pk).get()

    call.refresh_from_db()
    assert len(twilio.creates()) == 1
    assert result == "dialed"
    assert call.provider_sid == twilio.accepted_then_failed[0]
    assert call.status == Call.Status.DIALING


def test_a_5xx_the_provider_has_no_record_of_is_released_by_the_sweeper_not_retried(
    running_campaign, twilio, eager
):
    call = claimed_call(running_campaign(caller_id="+14155550100"))
    twilio.fail_next(500, 20500, "Internal Server Error")  # refused, but a 500 cannot prove it

    with time_machine.travel(NOON_NY, tick=False):
        assert place_call_task.delay(call.pk).get() == "unknown"
    call.refresh_from_db()
    assert (call.status, call.provider_sid) == (Call.Status.DIALING, None)
    assert "unknown" in call.error

    later = NOON_NY + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        assert sweep(later) == {"released": 1}

    call.refresh_from_db()
    entry = call.campaign_lead
    assert len(twilio.creates()) == 1
    assert call.status == Call.Status.CANCELED
    assert (entry.state, entry.attempts) == (CampaignLead.State.RETRY, 0)


def test_the_lookup_never_adopts_a_call_another_parley_call_owns(running_campaign, twilio, eager):
    lead = factories.lead(phone="+12025550143")
    earlier = claimed_call(running_campaign(caller_id="+14155550100"), lead)
    with time_machine.travel(NOON_NY, tick=False):
        assert placing.place_call(earlier.pk) == placing.Placed.DIALED
        earlier.refresh_from_db()
        twilio.set_state(earlier.provider_sid, "completed", duration=30)
        Call.objects.filter(pk=earlier.pk).update(status=Call.Status.COMPLETED, finalized_at=NOON_NY)
    other = factories.campaign(status="running", caller_id="+14155550100", calls_per_second=1000)
    second = claimed_call(other, lead)
    twilio.fail_next(500, 20500, "Internal Server Error")

    with time_machine.travel(NOON_NY, tick=False):
        assert placing.place_call(second.pk) == placing.Placed.UNKNOWN

    second.refresh_from_db()
    assert second.provider_sid is None


def test_errors_that_prove_nothing_was_sent_are_retried(running_campaign, twilio, eager):
    call = claimed_call(running_campaign())
    twilio.fail_next(429, 20429, "Too Many Requests")

    with time_machine.travel(at("America/New_York", 2026, 6, 10, 12, 0), tick=False):
        assert place_call_task.delay(call.pk).get() == "dialed"

    assert len(twilio.creates()) == 2
