"""Every wait on the STT has a local deadline: a vendor that never says "end of speech" cannot leave the line dead."""
import pytest

from voice.sim.personas import Line

from . import doubles
from .calls import agent_turns, caller_turns, converse, live_call


@pytest.fixture
def stt_double(monkeypatch):
    def use(name: str) -> None:
        providers = __import__("voice.providers.factory", fromlist=["PROVIDERS"]).PROVIDERS
        monkeypatch.setitem(providers["stt"], "rehearsal", f"tests.voice.doubles.{name}")

    return use


def _two_lines(persona) -> str:
    return persona(
        "answers_once",
        Line("Hello?", "at_start"),
        Line("Sure, go ahead."),
        linger_s=2.0,
    )


def test_finals_without_speech_final_still_get_a_reply_within_a_second_and_a_half(voice_server, persona, stt_double):
    stt_double("NoEndOfSpeechSTT")
    call = live_call()
    log, m = converse(call, _two_lines(persona), max_seconds=30)

    # the greeting does not wait for an end of speech that never comes: the opening follows "Hello?" promptly
    hello = caller_turns(call)[0]
    opening, reply = agent_turns(call)[:2]
    assert hello.text == "Hello?"
    assert opening.started_ms - hello.ended_ms <= 1500
    # and the answer to "Sure, go ahead." comes within 1.5 s of the caller falling silent
    assert "Sure, go ahead." in [t.text for t in caller_turns(call)]
    assert reply.v2v_ms is not None and reply.v2v_ms <= 1500
    assert log.v2v_ms and max(log.v2v_ms) <= 1500


def test_the_session_sends_finalize_when_the_caller_stops_and_words_are_pending(voice_server, persona, stt_double):
    stt_double("FinalOnFinalizeSTT")
    doubles.FINALIZE_CALLS.clear()
    call = live_call()
    log, m = converse(call, _two_lines(persona), max_seconds=30)

    assert call.provider_sid in doubles.FINALIZE_CALLS
    texts = [t.text for t in caller_turns(call)]
    assert texts[:2] == ["Hello?", "Sure, go ahead."]  # each said once, from the finals Finalize released
    assert log.v2v_ms and max(log.v2v_ms) <= 1500
