"""A callee who says nothing: a re-prompt, then a polite goodbye and hang-up; and the maximum call length."""
from crm.models import Call
from voice.session import REPROMPT, SILENCE_GOODBYE, TIME_UP

from .calls import agent_turns, converse, live_call
from .scripts import long_opening_campaign


def test_silence_gets_a_reprompt_then_a_polite_hang_up(voice_server, settings):
    settings.VOICE_REPROMPT_S = 1.0
    settings.VOICE_SILENCE_HANGUP_S = 3.0
    call = live_call()
    log, m = converse(call, "silent")

    call.refresh_from_db()
    texts = [t.text for t in agent_turns(call)]
    assert texts[1:] == [REPROMPT, SILENCE_GOODBYE]
    assert call.outcome == Call.Outcome.HUNG_UP  # answered and spoken to: never "No answer"
    assert log.hung_up_by == "agent"


def test_a_call_ends_politely_at_the_campaigns_maximum_length(voice_server):
    call = live_call(long_opening_campaign(max_call_seconds=4))
    log, m = converse(call, "books_meeting")

    call.refresh_from_db()
    turns = agent_turns(call)
    assert turns[0].interrupted  # the opening was cut short at the limit
    assert [t.text for t in turns][-1] == TIME_UP
    assert log.hung_up_by == "agent"
    assert m.frames_in * 0.02 < 4 + 8  # the wrap-up line, not the rest of the conversation
    assert call.outcome == Call.Outcome.CONVERSATION
