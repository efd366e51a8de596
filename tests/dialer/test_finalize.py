"""Finalizing a call: the outcome, then the lead's next step by the campaign's rules, exactly once."""
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall
from dialer.call_status import apply_status
from dialer.claims import claim_due_leads
from dialer.outcomes import finalize_call
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)
RULES = {"no_answer": 4 * 3600, "busy": 15 * 60, "voicemail": 24 * 3600, "hung_up": 3600, "failed": 600}


def ended_call(campaign, *statuses: str, answered_by: str = "", now=NOON_NY, **params) -> Call:
    """Claim the campaign's next lead and play the given provider statuses for its call."""
    with time_machine.travel(now, tick=False):
        [call_id] = claim_due_leads(campaign.pk, now, dispatch=None)
        Call.objects.filter(pk=call_id).update(provider_sid=f"CA{call_id:032d}", status=Call.Status.DIALING)
        for status in statuses:
            apply_status(call_id, {"CallSid": f"CA{call_id:032d}", "CallStatus": status, **params}, now)
    if answered_by:
        Call.objects.filter(pk=call_id).update(answered_by=answered_by)
    return Call.objects.get(pk=call_id)


@pytest.mark.parametrize(
    ("statuses", "answered_by", "outcome", "delay"),
    [
        (("ringing", "no-answer"), "", Call.Outcome.NO_ANSWER, dt.timedelta(hours=4)),
        (("busy",), "", Call.Outcome.BUSY, dt.timedelta(minutes=15)),
        (("in-progress", "completed"), "machine_end_beep", Call.Outcome.VOICEMAIL, dt.timedelta(days=1)),
        (("in-progress", "completed"), "human", Call.Outcome.HUNG_UP, dt.timedelta(hours=1)),
    ],
)
def test_the_next_attempt_waits_as_long_as_the_campaign_rules_say(
    running_campaign, statuses, answered_by, outcome, delay
):
    campaign = running_campaign(retry_rules=RULES, max_attempts=3)
    factories.hopper_entry(campaign)
    call = ended_call(campaign, *statuses, answered_by=answered_by, CallDuration="4")

    assert finalize_call(call.pk, NOON_NY)

    call.refresh_from_db()
    entry = call.campaign_lead
    assert call.outcome == outcome
    assert (entry.state, entry.next_attempt_at, entry.last_outcome) == (
        CampaignLead.State.RETRY,
        NOON_NY + delay,
        outcome,
    )
    with time_machine.travel(NOON_NY + delay - dt.timedelta(seconds=1), tick=False):
        assert claim_due_leads(campaign.pk, NOON_NY + delay - dt.timedelta(seconds=1), dispatch=None) == []
    with time_machine.travel(NOON_NY + delay, tick=False):
        assert len(claim_due_leads(campaign.pk, NOON_NY + delay, dispatch=None)) == 1


def test_the_last_allowed_attempt_exhausts_the_lead(running_campaign):
    campaign = running_campaign(retry_rules=RULES, max_attempts=2)
    factories.hopper_entry(campaign, state=CampaignLead.State.RETRY, attempts=1)
    call = ended_call(campaign, "ringing", "no-answer")

    finalize_call(call.pk, NOON_NY)

    entry = CampaignLead.objects.get(pk=call.campaign_lead_id)
    assert (entry.state, entry.attempts, call.attempt) == (CampaignLead.State.EXHAUSTED, 2, 2)


def test_finalize_runs_its_effects_once_however_often_it_is_called(running_campaign):
    campaign = running_campaign(retry_rules=RULES)
    factories.hopper_entry(campaign)
    factories.hopper_entry(campaign, state=CampaignLead.State.RETRY, next_attempt_at=NOON_NY + dt.timedelta(days=2))
    call = ended_call(campaign, "busy")

    results = [finalize_call(call.pk, NOON_NY + dt.timedelta(minutes=m)) for m in range(3)]

    call.refresh_from_db()
    entry = call.campaign_lead
    assert results == [True, False, False]
    assert call.finalized_at == NOON_NY
    assert (entry.attempts, entry.next_attempt_at) == (1, NOON_NY + dt.timedelta(minutes=15))


def test_a_conversation_outcome_set_by_the_voice_session_is_kept(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(campaign)
    call = ended_call(campaign, "in-progress", "completed", answered_by="human", CallDuration="120")
    Call.objects.filter(pk=call.pk).update(outcome=Call.Outcome.NOT_INTERESTED)

    finalize_call(call.pk, NOON_NY)

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.NOT_INTERESTED
    assert call.campaign_lead.state == CampaignLead.State.DONE


def test_an_opt_out_puts_the_number_on_do_not_call_and_stops_every_campaign_calling_it(running_campaign):
    campaign, other = running_campaign(), running_campaign()
    lead = factories.lead()
    factories.hopper_entry(campaign, lead)
    factories.hopper_entry(other, lead)
    call = ended_call(campaign, "in-progress", "completed", CallDuration="30")
    Call.objects.filter(pk=call.pk).update(outcome=Call.Outcome.OPT_OUT)

    finalize_call(call.pk, NOON_NY)

    assert DoNotCall.objects.filter(phone=lead.phone, source=DoNotCall.Source.OPT_OUT).exists()
    assert CampaignLead.objects.get(campaign=campaign, lead=lead).state == CampaignLead.State.DO_NOT_CALL
    with time_machine.travel(NOON_NY, tick=False):
        assert claim_due_leads(other.pk, NOON_NY, dispatch=None) == []


def test_a_call_still_in_progress_is_not_finalized(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(campaign)
    call = ended_call(campaign, "ringing", "in-progress")

    assert not finalize_call(call.pk, NOON_NY)
    Call.objects.filter(pk=call.pk).update(media_started_at=timezone.now())
    apply_status(call.pk, {"CallSid": call.provider_sid, "CallStatus": "completed", "CallDuration": "60"})
    assert not finalize_call(call.pk, NOON_NY)  # the voice session has not saved its turns yet
    assert CampaignLead.objects.get(pk=call.campaign_lead_id).state == CampaignLead.State.CLAIMED


def test_the_campaign_completes_when_its_last_lead_is_finalized(running_campaign):
    campaign = running_campaign()
    factories.hopper_entry(campaign)
    call = ended_call(campaign, "in-progress", "completed", CallDuration="60")
    Call.objects.filter(pk=call.pk).update(outcome=Call.Outcome.BOOKED)

    finalize_call(call.pk, NOON_NY)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
