"""Faults that used to stop the sweeper or leave calls and hopper rows stuck forever."""
import datetime as dt

import pytest
import time_machine

from campaigns.models import CampaignLead
from crm.models import Call
from dialer import outcomes, placing
from dialer.claims import claim_due_leads
from tests import factories

from .test_sweeper import LATER, NOON_NY, claimed, run_sweep


def placed(campaign, lead=None) -> Call:
    factories.hopper_entry(campaign, lead or factories.lead())
    with time_machine.travel(NOON_NY, tick=False):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
        placing.place_call(call_id)
    return Call.objects.get(pk=call_id)


def test_an_error_on_one_call_is_counted_and_the_sweep_goes_on(running_campaign, twilio, monkeypatch):
    campaign = running_campaign()
    broken, fine = placed(campaign), placed(campaign)
    twilio.set_state(fine.provider_sid, "busy", duration=0)
    real_fetch = type(placing.get_telephony()).fetch

    def fetch(self, sid):
        if sid == broken.provider_sid:
            raise RuntimeError("unexpected provider payload")
        return real_fetch(self, sid)

    monkeypatch.setattr(type(placing.get_telephony()), "fetch", fetch)

    assert run_sweep() == {"errors": 1, "finalized": 1}
    assert Call.objects.get(pk=fine.pk).outcome == Call.Outcome.BUSY
    assert run_sweep() == {"errors": 1}  # and again next pass, without blocking anything else


def test_a_provider_call_another_call_owns_is_not_adopted_and_does_not_stop_the_sweep(running_campaign, twilio):
    lead = factories.lead(phone="+12025550143")
    owner = placed(running_campaign(), lead)
    Call.objects.filter(pk=owner.pk).update(status=Call.Status.COMPLETED, finalized_at=NOON_NY)
    CampaignLead.objects.filter(pk=owner.campaign_lead_id).update(state=CampaignLead.State.DONE)
    lost = claimed(running_campaign())  # another campaign, same person, dial never saved
    Call.objects.filter(pk=lost).update(status=Call.Status.DIALING, placed_at=NOON_NY)
    Call.objects.filter(pk=lost).update(lead=lead)

    assert run_sweep() == {"released": 1}
    assert Call.objects.get(pk=lost).provider_sid is None


def test_live_conversations_do_not_starve_an_older_stuck_call(running_campaign, twilio, settings):
    settings.DIALER_SWEEP_BATCH = 2
    campaign = running_campaign(max_call_seconds=3600)
    stuck = placed(campaign)
    twilio.set_state(stuck.provider_sid, "completed", duration=30)
    talking = [placed(campaign) for _ in range(5)]
    Call.objects.filter(pk__in=[c.pk for c in talking]).update(
        status=Call.Status.IN_PROGRESS, media_started_at=NOON_NY
    )
    Call.objects.filter(pk=stuck.pk).update(created_at=NOON_NY + dt.timedelta(seconds=1))  # the newest row

    assert run_sweep() == {"finalized": 1}
    assert Call.objects.get(pk=stuck.pk).finalized_at is not None


def test_a_call_the_provider_does_not_know_ends_failed_with_the_reason(running_campaign, twilio):
    call = placed(running_campaign())
    Call.objects.filter(pk=call.pk).update(
        provider_sid="CA" + "0" * 32, status=Call.Status.IN_PROGRESS, outcome=Call.Outcome.CONVERSATION
    )

    assert run_sweep() == {"not_found": 1}

    call.refresh_from_db()
    assert call.finalized_at is not None and call.status == Call.Status.FAILED
    assert "no record" in call.error and "20404" in call.error
    assert call.campaign_lead.state != CampaignLead.State.CLAIMED
    assert run_sweep(LATER + dt.timedelta(minutes=1)) == {}


def test_a_call_whose_session_and_callbacks_went_silent_is_ended_within_the_bound(running_campaign, twilio):
    call = placed(running_campaign(max_call_seconds=300))
    Call.objects.filter(pk=call.pk).update(
        status=Call.Status.IN_PROGRESS, media_started_at=NOON_NY, outcome=Call.Outcome.CONVERSATION
    )
    twilio.set_state(call.provider_sid, "in-progress")  # the provider still holds the line open

    assert run_sweep(NOON_NY + dt.timedelta(minutes=6)) == {}  # within max_call_seconds + grace: leave it
    bound = NOON_NY + dt.timedelta(seconds=300 + 120 + 120 + 1)
    assert run_sweep(bound) == {"timed_out": 1}

    call.refresh_from_db()
    assert call.finalized_at is not None and call.outcome == Call.Outcome.CONVERSATION
    assert twilio.calls[call.provider_sid].status == "completed"  # hung up at the provider
    assert call.campaign_lead.state == CampaignLead.State.DONE


def test_ending_a_call_before_dialing_is_all_or_nothing(running_campaign, twilio, monkeypatch):
    call_id = claimed(running_campaign())

    def crash(*args, **kwargs):
        raise RuntimeError("worker died mid-finalize")

    monkeypatch.setattr(outcomes, "_move_lead_on", crash)
    with pytest.raises(RuntimeError):
        outcomes.end_before_dial(call_id, Call.Outcome.BLOCKED, "On the do-not-call list at dial time")

    call = Call.objects.get(pk=call_id)
    assert (call.status, call.finalized_at) == (Call.Status.QUEUED, None)  # nothing half-done


def test_a_call_ended_before_dialing_but_never_finalized_is_finished_and_its_row_freed(running_campaign, twilio):
    call_id = claimed(running_campaign())
    Call.objects.filter(pk=call_id).update(
        status=Call.Status.CANCELED, outcome=Call.Outcome.BLOCKED, ended_at=NOON_NY
    )  # what a crash between the two old steps left

    assert run_sweep() == {"finalized": 1}
    entry = Call.objects.get(pk=call_id).campaign_lead
    assert entry.state != CampaignLead.State.CLAIMED


def test_a_hopper_row_claimed_without_an_open_call_is_given_back(running_campaign, twilio):
    campaign = running_campaign(max_concurrency=1)
    entry = factories.hopper_entry(campaign, state=CampaignLead.State.CLAIMED, attempts=1)
    factories.hopper_entry(campaign)
    with time_machine.travel(LATER, tick=False):
        assert claim_due_leads(campaign.pk, LATER, dispatch=None) == []  # the orphan eats the only slot

    assert run_sweep() == {"orphans": 1}

    entry.refresh_from_db()
    assert entry.state == CampaignLead.State.RETRY
    with time_machine.travel(LATER, tick=False):
        assert len(claim_due_leads(campaign.pk, LATER, dispatch=None)) == 1
