"""Whisper speech-to-text on the CPU (VOICE_STT=whisper; optional extra, `make local-voice`).

faster-whisper (CTranslate2, int8) with the packaged Whisper tiny.en by default (WHISPER_MODEL_DIR for another
CTranslate2 Whisper folder, e.g. base). Whisper does not stream, so the stream cuts the caller's audio into
utterances with a VAD (VOICE_VAD: webrtcvad or Silero): `SpeechStarted` when speech starts, a final transcript
(`speech_final`) once WHISPER_END_SILENCE_MS of silence follows, or at once when the session calls `finalize()`.
A speculative (preemptive) pass starts at WHISPER_SPECULATE_MS of silence (an early mark, before the end): when the
end-of-speech silence comes with no new speech, its transcript is the final (emitted at once, or when that pass
ends), so end of turn is about max(end silence, speculate mark + one pass) instead of end silence + one pass. Speech
resuming before the end discards it (a pass not yet started is cancelled; one running is ignored, its worker busy
until it ends) and the utterance goes on; the final is then transcribed from the whole utterance.
Interim results come from re-transcribing the growing utterance every WHISPER_INTERIM_MS of it, only while no other
pass of this call is running (off by default: a pass still running when the caller stops delays the final, and
the re-transcription costs CPU; tiny.en keeps up on a free core, base does not).
Every failure (model error, no worker within WHISPER_QUEUE_DEADLINE_S, a pass longer than WHISPER_DEADLINE_S) is
raised once, from `events()`, as `ProviderError`.
"""
from __future__ import annotations

import asyncio
import logging
import resource
import threading
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from django.conf import settings

from voice.audio import FRAME_MS, SAMPLE_RATE
from voice.providers import local_models
from voice.providers.base import CallContext, ProviderError, SpeechStarted, STTEvent, Transcript, UtteranceEnd, drain
from voice.providers.resample import resample, ulaw_to_float
from voice.turns import TurnSettings, voice_activity

log = logging.getLogger(__name__)

PREROLL_FRAMES = 10  # 200 ms before the VAD's first voiced frame: Whisper needs the onset of the first word
TAIL_FRAMES = 8  # 160 ms of the trailing silence kept: the last consonant
MIN_VOICED_FRAMES = 5  # shorter voiced sound (a click, a breath) is not sent to the model
NO_SPEECH_PROB = 0.6  # Whisper's own rule for a segment that is not speech: no_speech_prob above this ...
NO_SPEECH_LOGPROB = -1.0  # ... and avg_logprob below this (openai/whisper transcribe.py, `no_speech_threshold`)


@dataclass
class Usage:
    """Process-wide totals for the benchmark: CPU seconds spent in model passes and audio seconds they covered."""

    cpu_s: float = 0.0
    final_audio_s: float = 0.0
    passes: int = 0
    speculative: int = 0  # speculative passes started ...
    speculative_used: int = 0  # ... those whose transcript became the final ...
    speculative_discarded: int = 0  # ... and those voided by speech resuming (CPU spent for nothing)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


usage = Usage()


@cache
def load_model() -> Any:
    """The process-wide model: WHISPER_THREADS CPU threads per pass, WHISPER_WORKERS passes at once."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(local_models.whisper_model_dir()),
        device="cpu",
        compute_type="int8",
        cpu_threads=getattr(settings, "WHISPER_THREADS", 2),
        num_workers=getattr(settings, "WHISPER_WORKERS", 1),
    )


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=getattr(settings, "WHISPER_WORKERS", 1), thread_name_prefix="whisper")


def transcribe_pcm(audio_8k: np.ndarray) -> str:
    """Text of float32 8 kHz speech (blocking). Greedy decoding, English, no timestamps; segments Whisper itself
    judges to be no speech are dropped (a cough must not become "Thank you.")."""
    cpu0 = _cpu()
    segments, _ = load_model().transcribe(
        resample(audio_8k, SAMPLE_RATE, 16000),
        language="en",
        beam_size=1,
        condition_on_previous_text=False,
        without_timestamps=True,
        vad_filter=False,
    )
    text = " ".join(
        s.text.strip() for s in segments
        if not (s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < NO_SPEECH_LOGPROB)
    ).strip()
    with usage.lock:
        usage.cpu_s += _cpu() - cpu0
        usage.passes += 1
    return text


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class WhisperSTTStream:
    def __init__(self, turn: TurnSettings) -> None:
        self.vad = voice_activity(turn)
        self.end_silence_frames = max(1, getattr(settings, "WHISPER_END_SILENCE_MS", 300) // FRAME_MS)
        speculate = getattr(settings, "WHISPER_SPECULATE_MS", 160) // FRAME_MS
        self.speculate_frames = speculate if 0 < speculate < self.end_silence_frames else 0  # 0: no speculation
        interim_ms = getattr(settings, "WHISPER_INTERIM_MS", 0)
        self.interim_frames = interim_ms // FRAME_MS if interim_ms > 0 else 0
        self.deadline_s = getattr(settings, "WHISPER_DEADLINE_S", 10.0)
        self.queue_deadline_s = getattr(settings, "WHISPER_QUEUE_DEADLINE_S", 30.0)
        # Every SpeechStarted ends in a final or an UtteranceEnd (or a failure) within a pass's deadline, queued
        # behind the previous one: the session may wait that long for words it knows are coming.
        self.pending_words_s = 2 * (self.queue_deadline_s + self.deadline_s) + self.end_silence_frames * FRAME_MS / 1000
        self.frames = 0
        self.pre: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self.utt: list[bytes] | None = None
        self.utt_id = 0
        self.utt_start_frame = 0
        self.voiced = 0
        self.silence = 0
        self.next_interim = 0
        self._events: asyncio.Queue[STTEvent | ProviderError | None] = asyncio.Queue()
        self._busy = False  # a pass of this call is running: no interim now
        self._last_final: asyncio.Task | None = None
        self._speculation: asyncio.Task | None = None  # a pass on the utterance so far, started in its silence
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    async def send(self, audio: bytes) -> None:
        """One 20 ms mu-law frame. Never raises: a failure is raised once, from `events()`."""
        if self._closed:
            return
        self.frames += 1
        speech = len(audio) == SAMPLE_RATE * FRAME_MS // 1000 and self.vad.is_speech(audio)
        if self.utt is None:
            self.pre.append(audio)
            if speech:
                self.utt, self.utt_id = list(self.pre), self.utt_id + 1
                self.utt_start_frame = self.frames - len(self.pre) + 1
                self.voiced, self.silence = 1, 0
                self.next_interim = self.frames + self.interim_frames
                self._events.put_nowait(SpeechStarted(self._t(self.frames - 1)))
            return
        self.utt.append(audio)
        if speech:
            self.voiced += 1
            self.silence = 0
            if self._speculation is not None:
                self._discard_speculation()
        else:
            self.silence += 1
        if self.silence >= self.end_silence_frames:
            self._end_utterance()
        elif self.speculate_frames and self.silence == self.speculate_frames and self.voiced >= MIN_VOICED_FRAMES:
            with usage.lock:
                usage.speculative += 1
            self._speculation = self._spawn(self._pass(b"".join(self.utt)), report=False)
        elif self.interim_frames and self.frames >= self.next_interim and speech and not self._busy:
            self.next_interim = self.frames + self.interim_frames
            self._spawn(self._interim(self.utt_id, b"".join(self.utt)))

    def _t(self, frame: int) -> float:
        return frame * FRAME_MS / 1000

    def _discard_speculation(self) -> None:
        """Speech resumed before the end of the utterance: the speculative transcript is void."""
        task, self._speculation = self._speculation, None
        task.cancel()  # not started yet: it never runs (`_pass`); running: its result is dropped
        with usage.lock:
            usage.speculative_discarded += 1

    def _end_utterance(self) -> None:
        utt, self.utt = self.utt, None
        speculation, self._speculation = self._speculation, None
        self.pre.clear()
        if utt is None:
            return
        keep = len(utt) - max(0, self.silence - TAIL_FRAMES)
        start, end = self._t(self.utt_start_frame - 1), self._t(self.frames - self.silence)
        if self.voiced < MIN_VOICED_FRAMES:
            self._events.put_nowait(UtteranceEnd(end))  # a click, not words: nothing is pending any more
            return
        previous = self._last_final
        self._last_final = self._spawn(self._final(previous, b"".join(utt[:keep]), start, end, speculation))

    async def _pass(self, audio: bytes) -> str:
        """One model pass on the shared workers. Two deadlines: WHISPER_QUEUE_DEADLINE_S to get a worker (passes of
        every call in the process queue for WHISPER_WORKERS), then WHISPER_DEADLINE_S for the pass itself."""
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def run() -> str:
            loop.call_soon_threadsafe(started.set)
            return transcribe_pcm(ulaw_to_float(audio))

        self._busy = True
        try:
            future = loop.run_in_executor(_executor(), run)
            try:
                await asyncio.wait_for(started.wait(), timeout=self.queue_deadline_s)
            except TimeoutError as exc:
                future.cancel()
                raise ProviderError(f"whisper: no free worker within {self.queue_deadline_s:g} s") from exc
            except asyncio.CancelledError:
                future.cancel()  # still queued (a discarded speculation, a closed call): the worker never runs it
                raise
            return await asyncio.wait_for(asyncio.shield(future), timeout=self.deadline_s)
        except TimeoutError as exc:
            raise ProviderError(f"whisper: no transcript within {self.deadline_s:g} s") from exc
        except (RuntimeError, ValueError, OSError) as exc:
            raise ProviderError(f"whisper: {exc!r}") from exc
        finally:
            self._busy = False

    async def _interim(self, utt_id: int, audio: bytes) -> None:
        text = await self._pass(audio)
        if text and utt_id == self.utt_id and self.utt is not None and not self._closed:
            start = self._t(self.utt_start_frame - 1)
            self._events.put_nowait(Transcript(text, False, False, start, self._t(self.frames)))

    async def _final(
        self, previous: asyncio.Task | None, audio: bytes, start: float, end: float, speculation: asyncio.Task | None
    ) -> None:
        """The utterance's final: the speculative pass's transcript when there is one (no speech came after its
        audio, only silence), else a pass now. Its failure is this final's failure, raised once from `events()`."""
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)  # finals leave in the order they were spoken
        if speculation is not None:
            text = await speculation
            with usage.lock:
                usage.speculative_used += 1
        else:
            text = await self._pass(audio)
        with usage.lock:
            usage.final_audio_s += len(audio) / SAMPLE_RATE
        if self._closed:
            return
        if text:
            self._events.put_nowait(Transcript(text, True, True, start, end, confidence=1.0))
        self._events.put_nowait(UtteranceEnd(end))

    def _spawn(self, coro, report: bool = True) -> asyncio.Task:
        """A task of this stream (cancelled at close). `report`: its ProviderError is raised from `events()`; a
        speculation's is not (the final that uses it raises it; a discarded one does not matter)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done if report else self._tasks_discard)
        return task

    def _tasks_discard(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a discarded speculation's failure is no one's

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and isinstance(task.exception(), ProviderError) and not self._closed:
            self._events.put_nowait(task.exception())

    def events(self) -> AsyncIterator[STTEvent]:
        return drain(self._events)

    async def keep_alive(self) -> None:
        return None

    async def finalize(self) -> None:
        """The session heard the caller stop: transcribe the utterance now rather than after our own silence."""
        if self.utt is not None:
            self._end_utterance()

    async def close(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        self._events.put_nowait(None)


class WhisperSTT:
    """`STT` contract: one VAD-segmented stream per call over the process-wide model."""

    def __init__(self, turn: TurnSettings | None = None) -> None:
        self.turn = turn or TurnSettings.from_settings()

    @classmethod
    def for_call(cls, context: CallContext) -> WhisperSTT:
        return cls()

    @staticmethod
    def warm() -> None:
        """Load (and check) the model before the first call: about a second, once per process."""
        load_model()

    async def open(self) -> WhisperSTTStream:
        return WhisperSTTStream(self.turn)
