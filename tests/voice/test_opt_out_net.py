"""The opt-out net beside the model: a caller who asks not to be called again is put on do-not-call at once, with
the phrase kept as evidence, even when the model does nothing about it and even in the call's last second."""
import pytest

from campaigns.models import CampaignLead
from crm.models import Call, DoNotCall
from voice.sim import agent as scripted_agent
from voice.sim.personas import Line

from .calls import agent_turns, caller_turns, converse, live_call


@pytest.fixture
def model_ignores_opt_outs(monkeypatch):
    """The scripted model no longer recognises opt-outs (no record_opt_out tool call): only the net can act."""
    monkeypatch.setattr(scripted_agent, "detect", lambda text: None)


def test_an_opt_out_the_model_ignores_still_lands_on_do_not_call_and_ends_the_call(
    voice_server, persona, model_ignores_opt_outs
):
    name = persona(
        "asks_to_stop",
        Line("Hello?", "at_start"),
        Line("Please stop calling me."),
        Line("Are you still there?"),
        linger_s=4.0,
    )
    call = live_call()
    log, m = converse(call, name, max_seconds=40)

    call.refresh_from_db()
    assert DoNotCall.objects.filter(phone=call.lead.phone, source=DoNotCall.Source.OPT_OUT).exists()
    assert "stop calling me" in DoNotCall.objects.get(phone=call.lead.phone).reason
    evidence = [t for t in caller_turns(call) if t.opt_out_phrase]
    assert [t.text for t in evidence] == ["Please stop calling me."] and evidence[0].opt_out_phrase == "stop calling me"
    assert call.outcome == Call.Outcome.OPT_OUT
    assert log.hung_up_by == "agent"  # the agent confirmed and ended the call after that reply
    assert "Are you still there?" not in log.said
    assert len(agent_turns(call)) == 2  # the opening, then the one reply that confirmed


def test_an_opt_out_said_in_the_last_second_before_hanging_up_still_lands(
    voice_server, persona, model_ignores_opt_outs
):
    name = persona(
        "opts_out_and_hangs_up",
        Line("Hello?", "at_start"),
        Line("Take me off your list."),
        linger_s=0.0,
    )
    call = live_call()
    log, m = converse(call, name, max_seconds=30)

    call.refresh_from_db()
    assert log.hung_up_by == "callee"
    assert DoNotCall.objects.filter(phone=call.lead.phone).exists()
    assert [t.opt_out_phrase for t in caller_turns(call)] == ["", "take me off your list"]
    assert call.outcome == Call.Outcome.OPT_OUT
    call.campaign_lead.refresh_from_db()
    assert call.campaign_lead.state != CampaignLead.State.RETRY  # the lead is not called again
