"""One live Deepgram `/v1/listen` socket of the emulator (tests/emulators/deepgram.py): the audio clock, the speech
state machine (by energy, or by the rehearsal captions' word timings) and the outbox of `SpeechStarted`, `Results`,
`UtteranceEnd` and `Metadata` messages, each sent after the emulator's latency.
"""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from .caption_timeline import CaptionTimeline
from .faults import Fault
from .mulaw import DECODE, FRAME, SAMPLE_RATE

if TYPE_CHECKING:
    from .deepgram import DeepgramEmulator

BYTES_PER_SECOND = {"mulaw": SAMPLE_RATE, "alaw": SAMPLE_RATE, "linear16": 2 * SAMPLE_RATE}


class ListenConnection:
    """One live socket: the audio clock, the speech state machine and the outbox."""

    def __init__(self, emulator: DeepgramEmulator, ws: ServerConnection, query: dict[str, str],
                 fault: Fault | None) -> None:
        self.emulator = emulator
        self.ws = ws
        self.query = query
        self.tags: list[str] = []
        self.fault = fault
        self.request_id = str(uuid.uuid4())
        self.audio = bytearray()
        self.audio_bytes = 0
        self.controls: list[str] = []
        self.bytes_per_second = BYTES_PER_SECOND.get(query.get("encoding", "mulaw"), SAMPLE_RATE)
        self.endpointing = _millis(query.get("endpointing"), default=10)
        self.utterance_end = _millis(query.get("utterance_end_ms"), default=None)
        self.interim = query.get("interim_results") == "true"
        self.vad_events = query.get("vad_events") == "true"
        self.smart_format = query.get("smart_format") == "true"
        # speech state, all in seconds of audio received
        self.in_speech = False
        self.finalized_burst = False
        self.speech_start = 0.0
        self.last_voice = 0.0
        self.segment_start = 0.0
        self.next_interim = 0.0
        self.utterance_end_due: float | None = None
        self.last_word_end = 0.0
        self._outbox: asyncio.Queue[tuple[float, str | None]] = asyncio.Queue()
        self._pending = bytearray()
        # caption mode: the rehearsal callee's words, each [word, start_ms, end_ms] from its first chunk
        self.captioned = False
        self.timeline = CaptionTimeline()
        self.caption: dict[str, Any] | None = None
        self.caption_heard = 0  # words of the current caption whose end has been heard
        self.caption_flushed = 0  # words already sent in a final (Finalize splits a caption)

    @property
    def clock(self) -> float:
        return self.audio_bytes / self.bytes_per_second

    async def run(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        closed_by = "client"
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    if await self._on_audio(message):
                        closed_by = "fault"
                        break
                elif await self._on_control(message):
                    closed_by = "close_stream"
                    break
        except ConnectionClosed:
            pass
        finally:
            if closed_by == "close_stream":
                await self._outbox.put((time.monotonic(), None))
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(sender, timeout=2)
            sender.cancel()
            self.emulator.recorder.record("closed", request_id=self.request_id, by=closed_by, bytes=self.audio_bytes)

    # --- client -> server -------------------------------------------------------------------
    async def _on_control(self, text: str) -> bool:
        try:
            message = json.loads(text)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            self._emit({"type": "Error", "variant": "SchemaError", "description": "Could not parse message",
                        "message": text[:200]})
            return False
        self.controls.append(kind)
        self.emulator.recorder.record("control", type=kind, request_id=self.request_id)
        if self.fault and self.fault.kind == "never_answer":
            return kind == "CloseStream"
        if kind == "Finalize":
            self._finalize(from_finalize=True)
        elif kind == "CloseStream":
            if self.in_speech and not self.finalized_burst:
                self._finalize(from_finalize=False)
            self._emit_metadata()
            return True
        return False

    async def _on_audio(self, chunk: bytes) -> bool:
        """Advance the audio clock frame by frame; True when an injected fault has closed the socket."""
        if self.emulator.keep_audio:
            self.audio.extend(chunk)
        self._pending.extend(chunk)
        while len(self._pending) >= FRAME:
            frame = bytes(self._pending[:FRAME])
            del self._pending[:FRAME]
            self.audio_bytes += FRAME
            if self.fault and self.audio_bytes >= self.fault.after * FRAME:
                if self.fault.kind == "close_mid_stream":
                    self.emulator.recorder.record("fault", kind="close_mid_stream", request_id=self.request_id,
                                                  tags=self.tags)
                    self.ws.transport.abort()
                    return True
                if self.fault.kind == "malformed":
                    self.emulator.recorder.record("fault", kind="malformed", request_id=self.request_id, tags=self.tags)
                    await self.ws.send('{"type": "Results", "channel_index": [0, 1], "channel": {"altern')
                    self.fault = None
            self._on_frame(frame)
        return False

    def _align(self) -> bool:
        """Place this stream on the call's clock (`CaptionTimeline.align`); a caption under way that ended before
        a mid-call stream's origin is dropped too."""
        if not self.timeline.align(self.clock):
            return False
        caption = self.caption
        if caption is not None and self.timeline.aligned:
            if self.timeline.base_ms(caption) + caption["words"][-1][2] <= 0:  # it ended before this stream began
                self.caption = None
        return True

    def _on_frame(self, frame: bytes) -> None:
        if self.captioned:
            self._on_captioned_frame()
            return
        energy = (sum(DECODE[b] ** 2 for b in frame[::4]) / (len(frame) / 4)) ** 0.5
        now = self.clock
        if energy >= self.emulator.energy_threshold:
            self.last_voice = now
            self.utterance_end_due = None
            if not self.in_speech:
                self.in_speech = True
                self.finalized_burst = False
                self.speech_start = now - FRAME / self.bytes_per_second
                self.next_interim = now + self.emulator.interim_every
                if self.vad_events:
                    self._emit({"type": "SpeechStarted", "channel": [0], "timestamp": round(self.speech_start, 3)})
            elif self.interim and not self.finalized_burst and now >= self.next_interim:
                self.next_interim = now + self.emulator.interim_every
                self._emit_results(self._words_so_far(now), is_final=False, speech_final=False)
        elif not self.in_speech:
            if self.interim and now - self.segment_start >= self.emulator.silence_results_every:
                self._emit_results([], is_final=True, speech_final=False)
                self.segment_start = now
        elif now - self.last_voice >= self.endpointing / 1000:
            if not self.finalized_burst:
                self._finalize(from_finalize=False, speech_final=True)
            self.in_speech = False
            if self.utterance_end is not None:
                self.utterance_end_due = self.last_voice + self.utterance_end / 1000
        if self.utterance_end_due is not None and now >= self.utterance_end_due:
            self.utterance_end_due = None
            self._emit({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(self.last_word_end, 3)})

    def _on_captioned_frame(self) -> None:
        """Caption mode: the words are known with their timings; the audio clock says when each is heard."""
        if not self.timeline.aligned and not self._align():
            return
        now = self.clock
        if self.caption is None and self.timeline.captions:
            self.caption, self.caption_heard, self.caption_flushed = self.timeline.captions.popleft(), 0, 0
            self.in_speech = False
        caption = self.caption
        if caption is not None:
            base_ms = self.timeline.base_ms(caption)
            words = caption["words"]
            at_ms = now * 1000 - base_ms
            if not self.in_speech and at_ms >= words[0][1]:
                self.in_speech = True
                self.speech_start = (base_ms + words[0][1]) / 1000
                self.utterance_end_due = None
                if self.vad_events:
                    self._emit({"type": "SpeechStarted", "channel": [0], "timestamp": round(self.speech_start, 3)})
            heard = sum(1 for w in words if w[2] <= at_ms)
            if self.in_speech and heard > self.caption_heard:
                self.caption_heard = heard
                self.last_voice = (base_ms + words[heard - 1][2]) / 1000
                if heard < len(words) and self.interim:
                    self._emit_caption_results(is_final=False, speech_final=False)
            if self.in_speech and heard == len(words) and at_ms >= words[-1][2] + self.endpointing:
                self._emit_caption_results(is_final=True, speech_final=True)
                self.caption, self.in_speech = None, False
                if self.utterance_end is not None:
                    self.utterance_end_due = self.last_voice + self.utterance_end / 1000
        if not self.in_speech and self.interim and now - self.segment_start >= self.emulator.silence_results_every:
            self._emit_results([], is_final=True, speech_final=False)
            self.segment_start = now
        if self.utterance_end_due is not None and now >= self.utterance_end_due:
            self.utterance_end_due = None
            self._emit({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": round(self.last_word_end, 3)})

    def _emit_caption_results(self, *, is_final: bool, speech_final: bool, from_finalize: bool = False) -> None:
        assert self.caption is not None
        base = self.timeline.base_ms(self.caption)
        spoken = self.caption["words"][self.caption_flushed : self.caption_heard]
        timings = [((base + w[1]) / 1000, (base + w[2]) / 1000) for w in spoken]
        self._emit_results([w[0] for w in spoken], is_final=is_final, speech_final=speech_final,
                           from_finalize=from_finalize, timings=timings)
        if is_final:
            self.caption_flushed = self.caption_heard
            self.segment_start = self.clock

    # --- server -> client -------------------------------------------------------------------
    def _words_so_far(self, now: float) -> list[str]:
        words = self._format(self.emulator.next_utterance(consume=False)).split()
        spoken = int((now - self.speech_start) / self.emulator.seconds_per_word) + 1
        return words[: max(1, min(len(words) - 1, spoken))] if words else []

    def _finalize(self, *, from_finalize: bool, speech_final: bool = False) -> None:
        if self.captioned and self.caption is not None and self.in_speech:
            self._emit_caption_results(is_final=True, speech_final=speech_final, from_finalize=from_finalize)
            return
        words: list[str] = []
        if self.in_speech and not self.finalized_burst:
            words = self._format(self.emulator.next_utterance(consume=True)).split()
            self.finalized_burst = True
        self._emit_results(words, is_final=True, speech_final=speech_final, from_finalize=from_finalize)
        self.segment_start = self.clock

    def _emit_results(self, words: list[str], *, is_final: bool, speech_final: bool, from_finalize: bool = False,
                      timings: list[tuple[float, float]] | None = None) -> None:
        now = self.clock
        start = self.segment_start if is_final else self.speech_start
        if timings is None:
            voiced_end = max(self.last_voice, self.speech_start + 0.01)
            step = (voiced_end - self.speech_start) / max(1, len(words))
            timings = [(self.speech_start + i * step, self.speech_start + (i + 1) * step) for i in range(len(words))]
        items = [{"word": word.strip(".,?!").lower(), "start": round(w_start, 3), "end": round(w_end, 3),
                  "confidence": 0.98, "punctuated_word": word}
                 for word, (w_start, w_end) in zip(words, timings, strict=True)]
        if items:
            self.last_word_end = items[-1]["end"]
        message: dict[str, Any] = {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(max(0.0, now - start), 3),
            "start": round(start, 3),
            "is_final": is_final,
            "speech_final": speech_final,
            "channel": {"alternatives": [{"transcript": " ".join(words), "confidence": 0.98 if words else 0.0,
                                          "words": items}]},
            "metadata": {"request_id": self.request_id, "model_uuid": "1dbdfb4d-85b2-4659-9d72-63a4eb6a2b54",
                         "model_info": {"name": self.query.get("model", "nova-3"), "version": "2024-12-20.0",
                                        "arch": "nova-3"}},
        }
        if from_finalize:
            message["from_finalize"] = True
        self._emit(message)

    def _emit_metadata(self) -> None:
        self._emit({
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.request_id,
            "sha256": hashlib.sha256(bytes(self.audio)).hexdigest(),
            "created": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "duration": round(self.clock, 3),
            "channels": 1,
            "models": ["1dbdfb4d-85b2-4659-9d72-63a4eb6a2b54"],
        })

    def _format(self, text: str) -> str:
        if self.smart_format:
            return text
        return "".join(ch for ch in text.lower() if ch.isalnum() or ch in " '")

    def _emit(self, message: dict[str, Any]) -> None:
        if self.fault and self.fault.kind == "never_answer":
            return
        self.emulator.recorder.record("sent", request_id=self.request_id, message=message)
        self._outbox.put_nowait((time.monotonic() + self.emulator.latency, json.dumps(message)))

    async def _send_loop(self) -> None:
        while True:
            due, text = await self._outbox.get()
            if text is None:
                await self.ws.close(1000, "CloseStream")
                return
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self.ws.send(text)
            except ConnectionClosed:
                return


def _millis(value: str | None, default: int | None) -> int | None:
    if value is None or value == "true":
        return default
    if value == "false":
        return None if default is None else 10**9
    return int(value)
