"""Sample-rate conversion and the mu-law codec on numpy arrays, for the local speech models (optional extra).

The telephone line is mu-law 8 kHz; Piper speaks at 22.05 kHz, Whisper listens at 16 kHz and the test recordings
are 16 or 48 kHz. Downsampling low-passes with a windowed-sinc FIR below the new Nyquist frequency, then
interpolates; upsampling interpolates, then low-passes at the old Nyquist. Good enough for speech, cheap per call.
"""
from __future__ import annotations

from functools import cache

import numpy as np

from voice.audio import _ENCODE, ULAW_TO_PCM

_DECODE = np.array(ULAW_TO_PCM, dtype=np.float32) / 32768.0
_ENCODE_TABLE = np.frombuffer(_ENCODE, dtype=np.uint8)


@cache
def _lowpass(cutoff: float, rate: int, taps: int = 63) -> np.ndarray:
    n = np.arange(taps) - (taps - 1) / 2
    h = np.sinc(2 * cutoff / rate * n) * np.hamming(taps)
    return (h / h.sum()).astype(np.float32)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """float32 samples at `src` Hz -> float32 at `dst` Hz (same duration)."""
    if src == dst or not len(x):
        return x.astype(np.float32, copy=False)
    if dst < src:
        x = np.convolve(x, _lowpass(0.45 * dst, src), mode="same")
    n_out = int(len(x) * dst / src)
    y = np.interp(np.arange(n_out) * (src / dst), np.arange(len(x)), x).astype(np.float32)
    if dst > src:
        y = np.convolve(y, _lowpass(0.45 * src, dst), mode="same")
    return y


def ulaw_to_float(ulaw: bytes) -> np.ndarray:
    """mu-law bytes -> float32 samples in [-1, 1]."""
    return _DECODE[np.frombuffer(ulaw, dtype=np.uint8)]


def float_to_ulaw(x: np.ndarray) -> bytes:
    """float32 samples in [-1, 1] (clipped) -> mu-law bytes."""
    pcm = np.clip(x * 32768.0, -32768, 32767).astype(np.int32)
    return _ENCODE_TABLE[(pcm >> 2) + 8192].tobytes()


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32) / 32768.0
