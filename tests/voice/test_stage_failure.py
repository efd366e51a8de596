"""A vendor stage fails mid-call: an apology, a hang-up, and a recorded outcome."""
import io
import wave

from crm.models import Call
from voice.providers import factory
from voice.session import APOLOGY

from .calls import agent_turns, converse, live_call

FRAME_SAMPLES = 160  # one 20 ms frame at 8 kHz


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


def test_after_a_failure_the_line_closes_right_after_the_apology_is_heard(voice_server, monkeypatch):
    monkeypatch.setitem(factory.PROVIDERS["llm"], "rehearsal", "tests.voice.doubles.BrokenLLM")
    call = live_call()
    log, m = converse(call, "books_meeting")

    call.refresh_from_db()
    assert agent_turns(call)[-1].text == APOLOGY and log.hung_up_by == "agent"
    # The callee heard the apology to its end: its mark was the last thing sent, echoed once played.
    last_media = max(i for i, (kind, _) in enumerate(log.events) if kind == "media")
    tail = log.events[last_media + 1 :]
    assert [kind for kind, _ in tail] == ["mark", "echo"] and tail[0][1] == tail[1][1]
    # The recording (caller left, on the caller's own frames) ends a few frames after the apology's last sound:
    # the line was not held open in silence waiting for a timeout.
    with wave.open(io.BytesIO(call.recording.read())) as w:
        samples = memoryview(w.readframes(w.getnframes())).cast("h")
    agent = samples[1::2]
    last_sound = max(i for i in range(len(agent)) if abs(agent[i]) > 200)
    frames_after = (len(agent) - last_sound) // FRAME_SAMPLES
    assert frames_after <= 15, f"the line stayed open {frames_after} frames after the apology"
