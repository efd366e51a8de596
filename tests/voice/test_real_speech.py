"""Real recorded speech over the real media WebSocket into a CallSession that hears it through the local Whisper
STT: no captions, the session knows only the audio. Debian's LibriVox/card/speaker-test recordings and sales-call
phrases spoken by the Piper voice (voice.sim.corpus)."""
import pytest

from campaigns.scripts import save_new_version
from crm.models import Call, DoNotCall
from tests import factories
from voice.providers.factory import warm_local_models
from voice.sim import corpus
from voice.sim.personas import Line
from voice.sim.wer import wer

from .calls import agent_turns, caller_turns, converse, live_call
from .real_speech import require_local_voice
from .scripts import long_opening_campaign

QUESTIONS = [
    {"field": "team_size", "question": "How many people are on your team?"},
    {"field": "tools", "question": "What do you use for outreach today?"},
    {"field": "region", "question": "Where is your team based?"},
]


@pytest.fixture(autouse=True)
def whisper_hears_the_call(voice_settings):
    require_local_voice()
    voice_settings.VOICE_STT = "whisper"
    warm_local_models()  # as the server's start-up does: the first call must not pay for loading the model
    voice_settings.REHEARSAL_CALLEE_VOICE = "synth"  # every line below is a real recording, named
    return voice_settings


def questions_campaign():
    """A script with three qualification questions: the scripted agent asks one after each caller turn."""
    campaign = factories.campaign()
    save_new_version(campaign.script, publish=True, qualification_questions=QUESTIONS)
    return campaign


def said(name: str, when: str = "after_agent", **kw) -> Line:
    return Line(corpus.by_name(name).text, when, recording=name, **kw)


def test_recorded_sentences_become_one_caller_turn_each_with_their_words(voice_server, persona):
    names = ["piper/hello", "librivox/0930", "alsa/Front_Left", "goforward"]
    call = live_call(questions_campaign())
    log, m = converse(call, persona("reads", said(names[0], "at_start"), *map(said, names[1:]), linger_s=3.0))

    heard = caller_turns(call)
    assert [t.text for t in heard] and len(heard) == len(names), [t.text for t in heard]
    for name, turn in zip(names, heard, strict=True):
        assert wer(corpus.by_name(name).text, turn.text) <= 0.25, (name, turn.text)
        assert turn.stt_ms is not None  # end of turn measured from the end of the caller's speech
        # the agent answered only once the caller had finished the whole recording
        answer = next(t for t in agent_turns(call) if t.index > turn.index)
        assert answer.started_ms > turn.ended_ms
    # each caller turn was answered: the agent asked the next question after it, never talking over the caller
    asked = " ".join(t.text for t in agent_turns(call))
    assert all(q["question"] in asked for q in QUESTIONS), asked
    assert m.interruptions == 0 and log.clears == 0


def test_a_spoken_opt_out_is_recognised_confirmed_and_recorded(voice_server, persona):
    call = live_call()
    log, _ = converse(call, persona("opts_out_aloud", said("piper/hello", "at_start"), said("piper/do_not_call")))

    call.refresh_from_db()
    last_caller = caller_turns(call)[-1]
    assert wer(corpus.by_name("piper/do_not_call").text, last_caller.text) <= 0.1, last_caller.text
    assert last_caller.opt_out_phrase
    assert "we won't call you again" in agent_turns(call)[-1].text
    assert call.outcome == Call.Outcome.OPT_OUT and log.hung_up_by == "agent"
    assert DoNotCall.objects.filter(phone=call.lead.phone).exists()


def test_real_speech_over_the_agent_barges_in_and_is_answered(voice_server, persona):
    name = persona(
        "asks_who_aloud",
        said("piper/hello", "at_start"),
        said("piper/who", "over_agent", after_ms=3500),  # after the AI disclosure
        linger_s=4.0,
    )
    call = live_call(long_opening_campaign())
    log, m = converse(call, name)

    opening = agent_turns(call)[0]
    assert log.clears == 1 and m.interruptions == 1
    assert opening.interrupted and opening.heard_text != opening.text
    asked = next(t for t in caller_turns(call) if t.index > opening.index)
    assert wer("Wait, who are you?", asked.text) <= 0.25, asked.text
    reply = next(t for t in agent_turns(call) if t.index > asked.index)
    assert reply.text.startswith("Sorry about that.") and "AI assistant" in reply.text
