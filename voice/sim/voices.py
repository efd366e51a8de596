"""What a simulated callee sounds like: speech-shaped audio (default), a real recording from the corpus, or the
local Piper voice (REHEARSAL_CALLEE_VOICE=piper), with word timings for the rehearsal STT's captions."""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from voice.sim import speech
from voice.sim.personas import Line

Words = list[tuple[str, int, int]]


def _spread(text: str, audio: bytes) -> Words:
    """Word timings spread evenly over real speech (the rehearsal STT only needs them roughly right)."""
    words = text.split()
    ms = len(audio) // 8
    step = ms / max(1, len(words))
    return [(w, int(i * step), int((i + 1) * step)) for i, w in enumerate(words)]


@lru_cache(maxsize=256)
def _piper(text: str) -> bytes:
    from voice.providers.piper import load_voice

    return load_voice().synthesize(text, varied=False)


def callee_voice() -> str:
    """REHEARSAL_CALLEE_VOICE, with "auto" resolved: Piper when the STT hears audio (whisper), else synth."""
    choice = getattr(settings, "REHEARSAL_CALLEE_VOICE", "auto")
    if choice == "auto":
        return "piper" if getattr(settings, "VOICE_STT", "") == "whisper" else "synth"
    return choice


def uses_real_speech(line: Line) -> bool:
    return bool(line.recording) or (callee_voice() == "piper" and bool(line.text) and not line.noise_ms)


def line_audio(line: Line) -> tuple[bytes, Words]:
    """mu-law 8 kHz audio of a persona line and its word timings (blocking for Piper: see `prepare`)."""
    if line.recording:
        from voice.sim import corpus

        audio = corpus.audio(line.recording)
        return audio, _spread(line.text or corpus.by_name(line.recording).text, audio)
    if uses_real_speech(line):
        audio = _piper(line.text)
        return audio, _spread(line.text, audio)
    return speech.render(line.text, voice=3)


def prepare(lines: tuple[Line, ...]) -> None:
    """Render every real-speech line ahead of the call (run in a thread), so the callee's 20 ms clock never waits."""
    for line in lines:
        if uses_real_speech(line):
            line_audio(line)
