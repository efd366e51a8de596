"""A call Parley never saw answered (no 'answered' callback, no media, no AMD verdict) is not an answered call,
whatever the provider's after-the-fact record suggests: it ends failed with the reason, is retried by the
campaign's normal rule for failures, and the funnel does not count it as Answered."""
import datetime as dt

import time_machine

from campaigns.models import CampaignLead
from campaigns.stats import funnel
from crm.models import Call
from dialer import call_status, outcomes, placing

from .test_sweeper import LATER, NOON_NY, claimed, run_sweep


def dialed(campaign) -> Call:
    call_id = claimed(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        placing.place_call(call_id)
    call = Call.objects.get(pk=call_id)
    call_status.apply_status(call_id, {"CallSid": call.provider_sid, "CallStatus": "ringing"}, NOON_NY)
    return call


def answered_in_funnel(campaign) -> int:
    return next(stage.count for stage in funnel(campaign) if stage.key == "answered")


def test_a_call_whose_callbacks_were_lost_and_the_provider_says_completed_1s_ends_failed_and_retries(
    running_campaign, twilio
):
    campaign = running_campaign()
    call = dialed(campaign)
    twilio.set_state(call.provider_sid, "completed", duration=1)  # what the carrier reports after the fact

    assert run_sweep() == {"finalized": 1}

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.FAILED and call.answered_at is None
    assert "never saw it answered" in call.error
    entry = CampaignLead.objects.get(pk=call.campaign_lead_id)
    assert entry.state == CampaignLead.State.RETRY
    assert entry.next_attempt_at == LATER + dt.timedelta(seconds=campaign.retry_rules["failed"])
    assert answered_in_funnel(campaign) == 0


def test_a_ringing_call_the_sweeper_ends_after_every_limit_is_failed_not_no_answer(running_campaign, twilio):
    campaign = running_campaign(max_call_seconds=60)
    call = dialed(campaign)  # the emulator keeps it 'ringing' forever: no provider end either

    assert run_sweep(NOON_NY + dt.timedelta(hours=2)) == {"timed_out": 1}

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.FAILED and call.answered_at is None
    assert "never saw it answered" in call.error
    assert answered_in_funnel(campaign) == 0


def test_an_answered_call_keeps_its_answered_outcome(running_campaign, twilio):
    campaign = running_campaign()
    call = dialed(campaign)
    call_status.apply_status(call.pk, {"CallSid": call.provider_sid, "CallStatus": "in-progress"}, NOON_NY)
    twilio.set_state(call.provider_sid, "completed", duration=1)

    assert run_sweep() == {"finalized": 1}

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.HUNG_UP and call.answered_at is not None
    assert answered_in_funnel(campaign) == 1


def test_no_proposed_answered_outcome_survives_without_evidence(running_campaign):
    call = Call(status=Call.Status.COMPLETED, status_events=[{"status": "completed"}], duration_seconds=1)

    for proposed in (Call.Outcome.HUNG_UP, Call.Outcome.VOICEMAIL, Call.Outcome.CONVERSATION):
        assert outcomes.consistent_outcome(call, proposed) == Call.Outcome.FAILED
    assert outcomes.consistent_outcome(call, Call.Outcome.BUSY) == Call.Outcome.BUSY
