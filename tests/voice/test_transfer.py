"""Asking for a person: the agent says so, transfers the call to a rep's phone, and the outcome says transferred."""
from crm.models import Call
from tests import factories
from voice.sim.personas import Line

from .calls import agent_turns, converse, live_call


def test_asking_for_a_person_transfers_the_call_to_a_rep(voice_server, persona):
    campaign = factories.campaign()
    rep = factories.rep()
    rep.phone = "+14155550199"
    rep.save()
    campaign.reps.add(rep)
    name = persona("wants_a_human", Line("Hello?", "at_start"), Line("Can I speak to a person, please?"))
    call = live_call(campaign)
    log, m = converse(call, name)

    call.refresh_from_db()
    assert agent_turns(call)[-1].text.endswith(f"connecting you with {rep} now.")
    assert call.outcome == Call.Outcome.TRANSFERRED
    assert log.hung_up_by == "agent"
