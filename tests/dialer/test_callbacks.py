"""A lead who asks to be called back is called back at that time, if the window and the law allow it."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from campaigns.models import CampaignLead
from crm.models import Call
from dialer import callbacks, outcomes
from dialer.claims import claim_due_leads
from tests import factories
from voice.tools import TOOL_NAMES, ToolContext, run_tool_sync

from .conftest import at

NY = ZoneInfo("America/New_York")
WED_NOON = at("America/New_York", 2026, 6, 10, 12, 0)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("tomorrow at three", dt.datetime(2026, 6, 11, 15, 0, tzinfo=NY)),
        ("call me back tomorrow at 10:30am", dt.datetime(2026, 6, 11, 10, 30, tzinfo=NY)),
        ("Monday at half past two", dt.datetime(2026, 6, 15, 14, 30, tzinfo=NY)),
        ("friday morning", dt.datetime(2026, 6, 12, 10, 0, tzinfo=NY)),
        ("at 4pm", dt.datetime(2026, 6, 10, 16, 0, tzinfo=NY)),
        ("in 2 hours", dt.datetime(2026, 6, 10, 14, 0, tzinfo=NY)),
        ("2026-06-11T09:15", dt.datetime(2026, 6, 11, 9, 15, tzinfo=NY)),
        ("whenever", None),
    ],
)
def test_the_leads_words_are_read_in_the_leads_zone(words, expected):
    assert callbacks.resolve(words, NY, WED_NOON) == expected


def talking_call(campaign, lead=None) -> Call:
    factories.hopper_entry(campaign, lead or factories.lead(timezone="America/New_York"))
    with time_machine.travel(WED_NOON, tick=False):
        [call_id] = claim_due_leads(campaign.pk, WED_NOON, dispatch=None)
    Call.objects.filter(pk=call_id).update(
        status=Call.Status.IN_PROGRESS, provider_sid=f"CA{call_id:032d}", placed_at=WED_NOON
    )
    return Call.objects.get(pk=call_id)


def test_a_callback_is_retried_at_the_requested_time_not_24_hours_later(running_campaign):
    campaign = running_campaign()
    call = talking_call(campaign)

    answer = callbacks.schedule_callback(call.pk, "tomorrow at three", now=WED_NOON)
    Call.objects.filter(pk=call.pk).update(outcome=Call.Outcome.CALLBACK, status=Call.Status.COMPLETED)
    outcomes.finalize_call(call.pk, WED_NOON + dt.timedelta(minutes=2), force=True)

    requested = dt.datetime(2026, 6, 11, 15, 0, tzinfo=NY)
    assert answer["scheduled"] and answer["label"] == "Thursday 11 June at 3:00 PM"
    entry = CampaignLead.objects.get(pk=call.campaign_lead_id)
    assert (entry.state, entry.next_attempt_at) == (CampaignLead.State.RETRY, requested)
    Call.objects.filter(pk=call.pk).update(finalized_at=WED_NOON)
    just_before = requested - dt.timedelta(minutes=1)
    with time_machine.travel(just_before, tick=False):
        assert claim_due_leads(campaign.pk, just_before, dispatch=None) == []
    with time_machine.travel(requested, tick=False):
        assert len(claim_due_leads(campaign.pk, requested, dispatch=None)) == 1


def test_a_time_florida_law_forbids_is_refused_with_the_nearest_allowed_time(running_campaign):
    campaign = running_campaign(window_end=dt.time(21))
    call = talking_call(campaign, factories.lead(phone="+13055550123", timezone="America/New_York"))

    answer = callbacks.schedule_callback(call.pk, "today at 8:30pm", now=WED_NOON)

    assert not answer["scheduled"]
    assert "Florida" in answer["reason"] and "501.616" in answer["reason"]
    assert answer["nearest"] == "2026-06-10T19:45:00-04:00"
    assert Call.objects.get(pk=call.pk).callback_at is None


def test_a_time_outside_the_campaign_window_gets_the_nearest_time_inside_it(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(17), calling_days=[0, 1, 2, 3, 4])
    call = talking_call(campaign)

    answer = callbacks.schedule_callback(call.pk, "Saturday at 10am", now=WED_NOON)

    assert not answer["scheduled"] and "calling hours" in answer["reason"]
    assert answer["nearest"] == "2026-06-12T16:45:00-04:00"  # Friday, the last quarter hour of the window


def test_no_callback_when_no_attempt_is_left(running_campaign):
    campaign = running_campaign(max_attempts=1)
    call = talking_call(campaign)

    answer = callbacks.schedule_callback(call.pk, "tomorrow at three", now=WED_NOON)

    assert not answer["scheduled"] and "No attempts" in answer["reason"] and answer["nearest"] is None


def test_the_agent_has_a_schedule_callback_tool(running_campaign):
    call = talking_call(running_campaign())
    ctx = ToolContext(call_id=call.pk, lead_id=call.lead_id, campaign_id=call.campaign_id)

    with time_machine.travel(WED_NOON, tick=False):
        result = run_tool_sync(ctx, "schedule_callback", {"when": "2026-06-11T15:00"})

    assert "schedule_callback" in TOOL_NAMES
    assert result.data["scheduled"] and result.outcome == Call.Outcome.CALLBACK


def test_the_rehearsal_agent_schedules_the_callback_the_persona_asks_for():
    from voice.providers.base import CallContext
    from voice.sim.agent import ScriptedAgent
    from voice.sim.latency import EmulatedLatency
    from voice.sim.personas import persona

    agent = ScriptedAgent(CallContext(call_id=1, script={"opening_line": "Hi, this is an AI assistant."}, lead={}),
                          EmulatedLatency.current())
    asks = persona("callback").lines[1].text
    messages = [{"role": "assistant", "content": "Hi, this is an AI assistant."}, {"role": "user", "content": asks}]

    text, calls = agent.plan(messages)
    assert calls == [("schedule_callback", {"when": asks})]

    asked = {"id": "c1", "function": {"name": "schedule_callback"}}
    scheduled = '{"scheduled": true, "label": "Thursday 11 June at 3:00 PM"}'
    messages += [
        {"role": "assistant", "content": text, "tool_calls": [asked]},
        {"role": "tool", "tool_call_id": "c1", "content": scheduled},
    ]
    text, calls = agent.plan(messages)
    assert "Thursday 11 June at 3:00 PM" in text and calls[0][1]["outcome"] == "callback"
