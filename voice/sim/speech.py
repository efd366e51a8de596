"""Speech-shaped mu-law audio for rehearsals: voiced syllables of the right length, with word timings.

No speech engine is needed: each syllable is a pitched harmonic tone under a smooth envelope, which voice
activity detectors hear as speech and a listener hears as a murmur of the right rhythm. Units are built once
and reused, so rendering a sentence costs a few byte joins.
"""
from __future__ import annotations

import math
import re
from functools import cache

from voice.audio import SAMPLE_RATE, pcm_to_ulaw

WORD_GAP_MS = 30  # shorter than two 20 ms frames, so a pause between words is not an end of speech
_PITCHES = (118.0, 132.0, 150.0, 176.0)
_SYLLABLE_MS = (110, 150, 190)
_VOWELS = re.compile(r"[aeiouy]+", re.I)


@cache
def _syllable(ms: int, pitch: float) -> bytes:
    n = SAMPLE_RATE * ms // 1000
    samples = []
    for i in range(n):
        t = i / SAMPLE_RATE
        env = math.sin(math.pi * i / n) ** 0.6
        glide = pitch * (1.0 + 0.06 * math.sin(math.pi * i / n))
        v = 0.0
        for h, amp in ((1, 1.0), (2, 0.7), (3, 0.55), (4, 0.35), (5, 0.3), (7, 0.18), (9, 0.12)):
            v += amp * math.sin(2 * math.pi * glide * h * t)
        samples.append(int(5200 * env * v))
    return pcm_to_ulaw(samples)


@cache
def _gap(ms: int) -> bytes:
    return b"\xff" * (SAMPLE_RATE * ms // 1000)


def syllables(word: str) -> int:
    return max(1, len(_VOWELS.findall(word)))


def render(text: str, voice: int = 0) -> tuple[bytes, list[tuple[str, int, int]]]:
    """Audio for `text` and each word's (word, start_ms, end_ms) inside it."""
    parts: list[bytes] = []
    timings: list[tuple[str, int, int]] = []
    at = 0
    words = text.split()
    for w_index, word in enumerate(words):
        if w_index:
            parts.append(_gap(WORD_GAP_MS))
            at += WORD_GAP_MS
        start = at
        for s in range(syllables(word)):
            ms = _SYLLABLE_MS[(len(word) + s) % len(_SYLLABLE_MS)]
            parts.append(_syllable(ms, _PITCHES[(voice + w_index + s) % len(_PITCHES)]))
            at += ms
        timings.append((word, start, at))
        if word[-1:] in ".?!,;:" and w_index < len(words) - 1:
            pause = 160 if word[-1] != "," else 80
            parts.append(_gap(pause))
            at += pause
    return b"".join(parts), timings


def duration_ms(text: str) -> int:
    """How long `render(text)` lasts, without rendering it."""
    total = 0
    words = text.split()
    for w_index, word in enumerate(words):
        if w_index:
            total += WORD_GAP_MS
        total += sum(_SYLLABLE_MS[(len(word) + s) % len(_SYLLABLE_MS)] for s in range(syllables(word)))
        if word[-1:] in ".?!,;:" and w_index < len(words) - 1:
            total += 160 if word[-1] != "," else 80
    return total


@cache
def beep(ms: int = 400, hz: float = 1000.0) -> bytes:
    n = SAMPLE_RATE * ms // 1000
    return pcm_to_ulaw([int(9000 * math.sin(2 * math.pi * hz * i / SAMPLE_RATE)) for i in range(n)])
