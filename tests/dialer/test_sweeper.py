"""The sweeper: calls left behind by a lost worker, callback or session are reconciled from the provider."""
import datetime as dt

import time_machine

from campaigns.models import CampaignLead
from crm.models import Call
from dialer import placing
from dialer.claims import claim_due_leads
from dialer.sweeper import sweep
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)
LATER = NOON_NY + dt.timedelta(minutes=10)


def claimed(campaign) -> int:
    factories.hopper_entry(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
    return call_id


def run_sweep(now=LATER):
    with time_machine.travel(now, tick=False):
        return sweep(now)


def test_a_call_whose_completed_callback_was_lost_is_finalized_from_the_providers_record(running_campaign, twilio):
    call_id = claimed(running_campaign())
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    sid = Call.objects.get(pk=call_id).provider_sid
    twilio.set_state(sid, "busy", duration=0)

    assert run_sweep() == {"finalized": 1}

    call = Call.objects.get(pk=call_id)
    assert (call.status, call.outcome) == (Call.Status.COMPLETED, Call.Outcome.BUSY)
    assert call.campaign_lead.state == CampaignLead.State.RETRY
    assert [r.method for r in twilio.requests] == ["POST", "GET"]


def test_a_call_the_provider_says_is_still_in_progress_is_left_alone(running_campaign, twilio):
    call_id = claimed(running_campaign())
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    twilio.set_state(Call.objects.get(pk=call_id).provider_sid, "in-progress")

    assert run_sweep() == {}
    assert Call.objects.get(pk=call_id).finalized_at is None


def test_a_call_whose_voice_session_never_ended_is_finalized_after_the_threshold(running_campaign, twilio):
    call_id = claimed(running_campaign())
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    sid = Call.objects.get(pk=call_id).provider_sid
    Call.objects.filter(pk=call_id).update(media_started_at=NOON_NY)
    twilio.set_state(sid, "completed", duration=44, answered_by="human")

    assert run_sweep(NOON_NY + dt.timedelta(seconds=150)) == {"reconciled": 1}  # session may still be saving
    assert run_sweep(NOON_NY + dt.timedelta(minutes=10)) == {"finalized": 1}

    call = Call.objects.get(pk=call_id)
    assert call.outcome == Call.Outcome.HUNG_UP and call.duration_seconds == 44


def test_a_claim_that_was_never_placed_is_released_with_its_attempt_refunded(running_campaign, twilio):
    call_id = claimed(running_campaign())

    assert run_sweep(NOON_NY + dt.timedelta(seconds=30)) == {}
    assert run_sweep() == {"released": 1}

    call = Call.objects.get(pk=call_id)
    entry = call.campaign_lead
    assert call.status == Call.Status.CANCELED and "Never placed" in call.error
    assert (entry.state, entry.attempts) == (CampaignLead.State.RETRY, 0)
    assert twilio.creates() == []
    with time_machine.travel(LATER, tick=False):
        assert len(claim_due_leads(entry.campaign_id, LATER, dispatch=None)) == 1


def test_a_dial_the_provider_took_before_its_worker_died_is_adopted_not_redialed(running_campaign, twilio):
    """The worker died between Twilio accepting the dial and saving the sid."""
    campaign = running_campaign()
    call_id = claimed(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    sid = Call.objects.get(pk=call_id).provider_sid
    Call.objects.filter(pk=call_id).update(provider_sid=None)  # as if never saved
    twilio.set_state(sid, "no-answer", duration=0)

    assert run_sweep() == {"adopted": 1, "finalized": 1}

    call = Call.objects.get(pk=call_id)
    assert call.provider_sid == sid and call.outcome == Call.Outcome.NO_ANSWER
    assert len(twilio.creates()) == 1


def test_a_dial_the_provider_never_received_is_released(running_campaign, twilio):
    call_id = claimed(running_campaign())
    Call.objects.filter(pk=call_id).update(status=Call.Status.DIALING, placed_at=NOON_NY)

    assert run_sweep() == {"released": 1}
    assert Call.objects.get(pk=call_id).campaign_lead.state == CampaignLead.State.RETRY


def test_the_sweeper_leaves_fresh_calls_alone(running_campaign, twilio):
    call_id = claimed(running_campaign())
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)

    assert run_sweep(NOON_NY + dt.timedelta(seconds=20)) == {}
    assert [r.method for r in twilio.requests] == ["POST"]
    assert Call.objects.get(pk=call_id).finalized_at is None


def test_a_claim_a_worker_started_dialing_is_never_released_as_never_placed(running_campaign, twilio):
    """The sweeper picked the call while QUEUED; a worker moved it to DIALING before the release landed."""
    from dialer.outcomes import release_call

    call_id = claimed(running_campaign())
    Call.objects.filter(pk=call_id).update(status=Call.Status.DIALING, placed_at=LATER)

    assert not release_call(call_id, "Never placed (worker lost or queue stalled)")
    call = Call.objects.get(pk=call_id)
    assert (call.status, call.finalized_at) == (Call.Status.DIALING, None)
    assert call.campaign_lead.state == CampaignLead.State.CLAIMED


def test_a_live_conversation_shorter_than_the_campaigns_limit_is_not_polled(running_campaign, twilio):
    call_id = claimed(running_campaign(max_call_seconds=600))
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    Call.objects.filter(pk=call_id).update(status=Call.Status.IN_PROGRESS, media_started_at=NOON_NY)

    assert run_sweep(NOON_NY + dt.timedelta(minutes=5)) == {}
    assert [r.method for r in twilio.requests] == ["POST"]

    twilio.set_state(Call.objects.get(pk=call_id).provider_sid, "completed", duration=700)
    assert run_sweep(NOON_NY + dt.timedelta(minutes=15)) == {"reconciled": 1}  # past the limit: asked
    assert run_sweep(NOON_NY + dt.timedelta(minutes=18)) == {"finalized": 1}  # the session never saved
