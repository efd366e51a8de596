"""A vendor stage fails mid-call: an apology, a hang-up, and a recorded outcome."""
from crm.models import Call
from voice.providers import factory
from voice.session import APOLOGY

from .calls import agent_turns, converse, live_call


def test_a_failing_llm_ends_the_call_with_an_apology_and_a_failed_outcome(voice_server, monkeypatch):
    monkeypatch.setitem(factory.PROVIDERS["llm"], "rehearsal", "tests.voice.doubles.BrokenLLM")
    call = live_call()
    log, m = converse(call, "books_meeting")

    call.refresh_from_db()
    assert agent_turns(call)[-1].text == APOLOGY
    assert call.outcome == Call.Outcome.FAILED and "LLM stream dropped" in call.error
    assert log.hung_up_by == "agent" and call.media_ended_at is not None


def test_a_failing_tts_still_apologises_in_the_local_voice(voice_server, monkeypatch):
    monkeypatch.setitem(factory.PROVIDERS["tts"], "rehearsal", "tests.voice.doubles.BrokenTTS")
    call = live_call()
    log, m = converse(call, "books_meeting")

    call.refresh_from_db()
    assert [t.text for t in agent_turns(call)] == [APOLOGY]
    assert log.agent_frames > 50  # the apology was heard
    assert call.outcome == Call.Outcome.FAILED and "TTS socket refused" in call.error
