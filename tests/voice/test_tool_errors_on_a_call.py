"""A model that writes sloppy tool arguments on a live call: the call goes on and the meeting is booked."""
from crm.models import Call, Meeting, Turn
from tests import factories
from tests.agent.doubles import SloppyLLM
from voice.providers import factory
from voice.sim.personas import Line

from .calls import agent_turns, converse, live_call, zone_in_daytime


def test_float_string_ids_and_a_null_query_do_not_end_the_call(voice_server, persona, monkeypatch):
    monkeypatch.setitem(factory.PROVIDERS["llm"], "rehearsal", "tests.agent.doubles.SloppyLLM")
    monkeypatch.setattr(SloppyLLM, "nulled_query", False)
    campaign = factories.campaign()
    campaign.reps.add(factories.rep(timezone=zone_in_daytime(), weekdays=range(7)))
    name = persona(
        "sloppy_model",
        Line("Hello?", "at_start"),
        Line("What is the price?"),
        Line("Sure."),
        Line("The first one works for me."),
        Line("Yes, that works."),
    )
    call = live_call(campaign)
    log, m = converse(call, name)

    call.refresh_from_db()
    assert call.outcome == Call.Outcome.BOOKED, [t.text for t in Turn.objects.filter(call=call).order_by("index")]
    assert SloppyLLM.nulled_query and Meeting.objects.filter(lead=call.lead, call=call).exists()
    assert any("I don't have that detail" in t.text for t in agent_turns(call))
