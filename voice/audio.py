"""Mu-law 8 kHz audio: the codec tables, 20 ms framing and the stereo call recording.

Decoding uses two 256-byte translate tables (low and high byte of each PCM16 sample), so a frame is
decoded by two `bytes.translate` calls and two slice assignments, with no per-sample Python work.
"""
from __future__ import annotations

import io
import sys
import wave
from array import array

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000  # 160 mu-law bytes per 20 ms
SILENCE_BYTE = 0xFF  # mu-law encoding of 0
SILENCE_FRAME = bytes([SILENCE_BYTE]) * FRAME_BYTES

_BIAS = 0x84
_CLIP = 32635


def _decode_sample(u: int) -> int:
    u = ~u & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    sample = ((mantissa << 3) + _BIAS) << exponent
    sample -= _BIAS
    return -sample if sign else sample


ULAW_TO_PCM: tuple[int, ...] = tuple(_decode_sample(u) for u in range(256))
MIN_LOUD_SAMPLES = 12  # loud samples (of a 20 ms frame's 160) for the frame to count as voiced


def loud_samples_table(floor: int) -> bytes:
    """A `bytes.translate` table: 1 for each mu-law byte whose sample's magnitude is at least `floor` (16-bit PCM
    units), else 0. `frame.translate(table).count(1) >= MIN_LOUD_SAMPLES` is the VADs' loudness gate."""
    return bytes(1 if abs(s) >= floor else 0 for s in ULAW_TO_PCM)


_LO = bytes((s & 0xFF) for s in ULAW_TO_PCM)
_HI = bytes(((s >> 8) & 0xFF) for s in ULAW_TO_PCM)


def _encode_sample(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    if sample < 0:
        sample = -sample
    sample = min(sample, _CLIP) + _BIAS
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


# 14-bit index (sample >> 2, offset to be non-negative) -> mu-law byte: encoding is one lookup per sample.
_ENCODE = bytes(_encode_sample((i - 8192) << 2) for i in range(16384))


def ulaw_to_pcm16(ulaw: bytes) -> bytes:
    """Little-endian signed 16-bit PCM for mu-law bytes (what webrtcvad and WAV files want)."""
    out = bytearray(len(ulaw) * 2)
    out[0::2] = ulaw.translate(_LO)
    out[1::2] = ulaw.translate(_HI)
    return bytes(out)


def pcm_to_ulaw(samples: list[int]) -> bytes:
    enc = _ENCODE
    return bytes(enc[(max(-32768, min(32767, s)) >> 2) + 8192] for s in samples)


def pcm16_24k_to_ulaw(pcm: bytes) -> bytes:
    """Mu-law 8 kHz for signed 16-bit little-endian mono PCM at 24 kHz (OpenAI TTS `pcm`), `len(pcm)` a multiple
    of 6 (3 samples in, 1 out). Each output sample is the mean of its 3 input samples: a box low-pass whose nulls
    at 8 and 16 kHz remove what would alias into the telephone band, then 3:1 decimation."""
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    enc = _ENCODE
    return bytes(enc[((a + b + c) // 3 >> 2) + 8192] for a, b, c in zip(samples[0::3], samples[1::3], samples[2::3],
                                                                        strict=True))


def mix(ulaw: bytes, other: bytes, gain_db: float) -> bytes:
    """`ulaw` plus `other` attenuated by `gain_db` (e.g. -10.0), both mu-law of the same length; for simulated
    echo (a speakerphone returning the agent's voice). Per-sample Python: for simulations, not the live path."""
    gain = 10 ** (gain_db / 20)
    return pcm_to_ulaw([a + int(b * gain) for a, b in zip(map(ULAW_TO_PCM.__getitem__, ulaw),
                                                           map(ULAW_TO_PCM.__getitem__, other), strict=True)])


def frames(audio: bytes, pad: bool = True) -> list[bytes]:
    """Cut mu-law audio into 160-byte frames; the last one padded with silence."""
    out = [audio[i : i + FRAME_BYTES] for i in range(0, len(audio), FRAME_BYTES)]
    if pad and out and len(out[-1]) < FRAME_BYTES:
        out[-1] = out[-1] + bytes([SILENCE_BYTE]) * (FRAME_BYTES - len(out[-1]))
    return out


def stereo_wav(left_ulaw: bytes, right_ulaw: bytes) -> bytes:
    """A 16-bit 8 kHz stereo WAV file: caller on the left channel, agent on the right."""
    n = max(len(left_ulaw), len(right_ulaw))
    left = left_ulaw.ljust(n, b"\xff")
    right = right_ulaw.ljust(n, b"\xff")
    pcm = bytearray(n * 4)
    pcm[0::4] = left.translate(_LO)
    pcm[1::4] = left.translate(_HI)
    pcm[2::4] = right.translate(_LO)
    pcm[3::4] = right.translate(_HI)
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(bytes(pcm))
    return buf.getvalue()


class TrackRecorder:
    """One channel of the call recording on the call's clock: audio lands at its offset, gaps stay silent."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def write_at(self, offset_samples: int, audio: bytes) -> None:
        gap = offset_samples - len(self.buf)
        if gap > 0:
            self.buf += b"\xff" * gap
        self.buf += audio

    def append(self, audio: bytes) -> None:
        self.buf += audio
