"""Whisper's speculative pass: started at an early silence mark, its transcript is the final at the end silence;
speech resuming before the end voids it."""
import asyncio
import threading

import pytest

from tests.voice.real_speech import require_local_voice
from voice.audio import SILENCE_FRAME, frames
from voice.providers.base import Transcript, UtteranceEnd


@pytest.fixture
def local_voice(settings):
    require_local_voice()
    settings.WHISPER_INTERIM_MS = 0
    settings.WHISPER_END_SILENCE_MS = 300
    settings.WHISPER_SPECULATE_MS = 140
    return settings


async def _until_end(stream) -> list:
    events = []
    async for event in stream.events():
        events.append(event)
        if isinstance(event, UtteranceEnd):
            return events
    return events


def _voiced(audio: bytes) -> list[bytes]:
    """The recording's frames up to its last voiced one (by the stream's VAD): its own quiet tail cut off."""
    from voice.turns import TurnSettings, voice_activity

    vad = voice_activity(TurnSettings.from_settings())
    clip = frames(audio)
    last = max(i for i, frame in enumerate(clip) if vad.is_speech(frame))
    return clip[: last + 1]


async def _silence_until(stream, silent_frames: int) -> None:
    """Silence frames until the stream has counted `silent_frames` of silence after the caller's last voiced one."""
    while stream.utt is not None and stream.silence < silent_frames:
        await stream.send(SILENCE_FRAME)


@pytest.mark.parametrize("pass_ends", ["before the end silence", "after the end silence"])
def test_the_final_is_the_speculative_pass_started_before_the_end_silence(local_voice, monkeypatch, pass_ends):
    """A model whose passes the test holds: the one pass starts at the speculate mark, short of the end silence;
    the final is its transcript, with no second pass (a second pass would hang: no final, the wait times out)."""
    from voice.providers import whisper
    from voice.sim import corpus

    started, release = threading.Event(), threading.Event()
    passes: list[int] = []  # samples each pass was given

    def held_model(audio) -> str:
        passes.append(len(audio))
        started.set()
        if len(passes) > 1 or not release.wait(10):
            threading.Event().wait(10)  # a second pass: held past the test's deadline
            return "second pass"
        return "the first one works for me"

    monkeypatch.setattr(whisper, "transcribe_pcm", held_model)

    async def run():
        stream = await whisper.WhisperSTT().open()
        for frame in [SILENCE_FRAME] * 5 + _voiced(corpus.audio("piper/first")):
            await stream.send(frame)
        assert not started.is_set()  # its short pauses inside (< 140 ms) start no pass
        await _silence_until(stream, stream.speculate_frames)
        assert await asyncio.to_thread(started.wait, 10)  # the pass runs while the caller has been quiet 140 ms
        at_start = stream.silence
        audio_frames = len(stream.utt)
        if pass_ends == "before the end silence":
            release.set()
        await _silence_until(stream, stream.end_silence_frames)
        assert stream.utt is None  # the end silence was reached: the utterance ended
        release.set()
        events = await asyncio.wait_for(_until_end(stream), timeout=5)
        await stream.close()
        return events, at_start, audio_frames, stream

    events, silence_at_start, audio_frames, stream = asyncio.run(run())
    assert 0 < silence_at_start == stream.speculate_frames < stream.end_silence_frames
    finals = [e for e in events if isinstance(e, Transcript) and e.is_final]
    assert [f.text for f in finals] == ["the first one works for me"] and finals[0].speech_final
    assert passes == [audio_frames * 160]  # one pass, on the audio up to the speculate mark (8 kHz samples)


def test_speech_resuming_after_the_speculate_mark_voids_it_and_the_final_has_both_parts(local_voice):
    """Real Whisper: "Yes." then a pause longer than the speculate mark, shorter than the end silence, then
    "Call me back tomorrow at three." One final with the words of both parts."""
    from voice.providers import whisper
    from voice.sim import corpus

    local_voice.WHISPER_END_SILENCE_MS = 500  # room for the pause and the second part's own lead-in

    async def run():
        stream = await whisper.WhisperSTT().open()
        reader = asyncio.create_task(_until_end(stream))
        for frame in [SILENCE_FRAME] * 5 + _voiced(corpus.audio("piper/yes")):
            await stream.send(frame)
        await _silence_until(stream, stream.speculate_frames)
        speculation = stream._speculation
        assert speculation is not None and stream.utt is not None
        for frame in frames(corpus.audio("piper/call_back")) + [SILENCE_FRAME] * 40:
            await stream.send(frame)
        events = await asyncio.wait_for(reader, timeout=60)
        await stream.close()
        return events, speculation

    before = (whisper.usage.speculative_discarded, whisper.usage.speculative_used)
    events, speculation = asyncio.run(run())
    assert speculation.cancelled()  # the transcript of "Yes." alone was voided
    # voided: that of "Yes." and of any pause past the mark inside the second part; used: the last one only
    assert whisper.usage.speculative_discarded > before[0] and whisper.usage.speculative_used == before[1] + 1
    finals = [e.text for e in events if isinstance(e, Transcript) and e.is_final]
    assert len(finals) == 1, finals
    words = finals[0].lower().replace(",", " ").replace(".", " ").split()
    assert words[0] == "yes" and words[-4:-1] == ["back", "tomorrow", "at"] and words[-1] in ("three", "3"), finals
