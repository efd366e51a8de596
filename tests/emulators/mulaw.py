"""G.711 mu-law at 8 kHz, enough for emulators to hear speech and to speak: decode, encode, test signals."""
from __future__ import annotations

import math
import random

SAMPLE_RATE = 8000
FRAME = 160  # 20 ms
SILENCE_BYTE = 0xFF

_BIAS = 0x84
_CLIP = 32635


def _decode(byte: int) -> int:
    u = ~byte & 0xFF
    magnitude = (((u & 0x0F) << 3) + _BIAS) << ((u >> 4) & 0x07)
    return _BIAS - magnitude if u & 0x80 else magnitude - _BIAS


DECODE = tuple(_decode(b) for b in range(256))


def encode_sample(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), _CLIP) + _BIAS
    exponent = max(0, min(7, magnitude.bit_length() - 8))
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def rms(audio: bytes) -> float:
    if not audio:
        return 0.0
    return math.sqrt(sum(DECODE[b] ** 2 for b in audio) / len(audio))


def silence(seconds: float) -> bytes:
    return bytes([SILENCE_BYTE]) * int(seconds * SAMPLE_RATE)


def speech(seconds: float, words: int = 0, seed: int = 7) -> bytes:
    """Voiced, syllable-shaped audio (a 140 Hz buzz with formant-ish harmonics under per-word envelopes)."""
    n = int(seconds * SAMPLE_RATE)
    rng = random.Random(seed)
    syllables = max(1, words or round(seconds * 4))
    per = n / syllables
    out = bytearray(n)
    for i in range(n):
        t = i / SAMPLE_RATE
        position = (i % per) / per
        envelope = math.sin(math.pi * position) ** 0.6 if position < 0.85 else 0.05
        voiced = math.sin(2 * math.pi * 140 * t) + 0.5 * math.sin(2 * math.pi * 700 * t) + 0.3 * math.sin(
            2 * math.pi * 1200 * t
        )
        out[i] = encode_sample(int(6000 * envelope * voiced + rng.uniform(-150, 150)))
    return bytes(out)


def frames(audio: bytes, size: int = FRAME) -> list[bytes]:
    return [audio[i : i + size] for i in range(0, len(audio), size)]
