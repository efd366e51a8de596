"""CallSession: one answered call's conversation, as a few small asyncio stages around one shared state.

Stages: caller frames (VAD, STT send, recording; driven by the media handler), STT events (transcripts ->
turn manager), the current reply (LLM -> sentence splitter -> TTS push, tools), its audio pump (TTS audio ->
20 ms frames and a mark after each sentence, into the playout queue), the pacer (one frame every 20 ms to the
transport), and a supervisor (greeting, silence, max length, voicemail). Every reply has a generation id;
bumping `gen` is the one event that cancels a reply everywhere: the pump, the LLM loop and the pacer drop
anything of an older generation, which is why audio cannot keep playing after a barge-in.
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Protocol

from asgiref.sync import sync_to_async

from voice import live, metrics, records
from voice.audio import FRAME_BYTES, SILENCE_BYTE, TrackRecorder, stereo_wav
from voice.providers.base import AudioChunk, CallContext, TextDelta, ToolCall, Transcript, UtteranceEnd
from voice.providers.factory import build_providers
from voice.sim import speech
from voice.tools import TOOL_SCHEMAS, ToolContext, run_tool
from voice.turns import (
    SentenceSplitter,
    TurnSettings,
    VoiceActivity,
    is_backchannel,
    same_words,
    should_interrupt,
)

log = logging.getLogger(__name__)

APOLOGY = "Sorry, we're having a technical problem. We'll call you back. Goodbye."
REPROMPT = "Sorry, are you still there?"
SILENCE_GOODBYE = "It seems this is not a good time. I will let you go. Goodbye!"
TIME_UP = "I'm sorry, we are out of time for today. A rep will follow up with you. Goodbye!"
MACHINE = ("machine", "fax")
INTERRUPTIBLE = frozenset({"opening", "llm", "resume", "canned"})  # not goodbyes, voicemail messages, apologies
FRAME_S = 0.020
APOLOGY_TTS_WAIT_S = 1.0  # the call's TTS must start the apology this soon (and keep going), or the local voice does
APOLOGY_MARK_GRACE_S = 0.5  # after the apology's last frame: a caller side that never echoes marks waits this long


class Transport(Protocol):
    """Where the session's audio goes: the media WebSocket (Twilio Media Streams)."""

    async def send_media(self, frame: bytes) -> None: ...

    async def send_mark(self, name: str) -> None: ...

    async def send_clear(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(eq=False)
class Reply:
    """One agent reply (one generation): what was generated, what the caller heard, and its latency stamps."""

    gen: int
    kind: str  # opening | llm | resume | canned | closing | voicemail | apology
    trigger: str = ""
    speculative: bool = False
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)
    segments: list[str] = field(default_factory=list)
    heard: int = 0
    marks_queued: int = 0
    frames_sent: int = 0
    audio_done: bool = False
    cleared: bool = False
    done: bool = False
    end_outcome: str = ""
    transfer_to: str = ""
    task: asyncio.Task | None = None
    pump: asyncio.Task | None = None
    tts: Any = None
    started_ms: int | None = None
    t_end: float | None = None  # caller speech end (last voiced frame)
    t_trigger: float | None = None
    t_final: float | None = None
    t_llm: float | None = None
    t_token: float | None = None
    t_ready: float | None = None
    t_push: float | None = None
    t_byte: float | None = None
    t_frame: float | None = None

    def text(self) -> str:
        return " ".join(self.segments)

    def heard_text(self) -> str:
        return " ".join(self.segments[: self.heard])


class _ApologyAudio:
    """The apology as a TTS stream for `_pump`: a first chunk, then the vendor's rest; a stall or error mid-way
    ends it there (what was queued still plays) instead of failing the hang-up."""

    def __init__(self, call_id: int, first: AudioChunk, rest=None) -> None:
        self.call_id, self.first, self.rest = call_id, first, rest

    async def audio(self):
        yield self.first
        if self.rest is None or self.first.boundary:
            return
        while True:
            try:
                chunk = await asyncio.wait_for(anext(self.rest), timeout=APOLOGY_TTS_WAIT_S)
            except StopAsyncIteration:
                return
            except Exception as exc:
                log.info("call %s: the apology's TTS stopped mid-way (%r)", self.call_id, exc)
                return
            yield chunk


class CallSession:
    def __init__(self, info: records.CallInfo, transport: Transport, turn: TurnSettings | None = None) -> None:
        self.info = info
        self.call_id = info.call_id
        self.transport = transport
        self.turn = turn or TurnSettings.from_settings()
        self.loop = asyncio.get_running_loop()
        self.metrics = metrics.CallMetrics(call_id=info.call_id)
        self.vad = VoiceActivity(self.turn.vad_mode, self.turn.voice_floor)
        self.context: CallContext = info.context
        self.voice = str(info.script.get("voice") or "")
        self.gen = 0
        self.current: Reply | None = None
        self.replies: dict[int, Reply] = {}
        self.history: list[dict[str, Any]] = []
        self._playout: deque[bytes | str] = deque()
        self._wake = asyncio.Event()
        self._first_frame_of: Reply | None = None
        self._tasks: set[asyncio.Task] = set()
        self._saves: set[asyncio.Task] = set()
        self.caller_track = TrackRecorder()
        self.agent_track = TrackRecorder()
        self.turn_index = 0
        # caller speech, as the VAD sees it
        self.frames_in = 0
        self.utt_active = False
        self.utt_start_frame = 0
        self.utt_start_t = 0.0
        self.silence_frames = 0
        self.last_voice_t = 0.0
        self.last_utt_ms = 0
        self.heard_sound = False
        # caller speech, as the STT hears it
        self.finals: list[str] = []
        self.partial = ""
        self.deferred_text = ""
        self.words_since_barge = True
        self.barged_utterance = False
        self.caller_spoke = False
        # call state
        self.t0 = perf_counter()
        self.opened = False
        self.mode = "conversation"  # or "voicemail"
        self.voicemail_left = False
        self.reprompted = False
        self.silence_since = self.t0
        self.time_up = False
        self.outcome_hint = ""
        self.outcome = ""
        self.error = ""
        self.ending = False
        self.failing = False
        self.tts_down = False  # the call's TTS failed: the apology goes straight to the local voice
        self.closed = False
        self.done = asyncio.Event()
        self.stt_stream = None
        self.providers = None
        self.tool_ctx = ToolContext(
            call_id=info.call_id,
            lead_id=info.lead_id,
            campaign_id=info.campaign_id,
            knowledge_base=tuple(info.script.get("knowledge_base") or ()),
        )

    # --- lifecycle ------------------------------------------------------------------------------------
    async def start(self, call_sid: str, stream_sid: str, custom_parameters: dict[str, str]) -> None:
        self.context.call_sid = call_sid
        self.context.stream_sid = stream_sid
        self.context.custom_parameters = dict(custom_parameters)
        self.t0 = self.silence_since = perf_counter()
        live.register(self.call_id, self._on_live)
        self._save(records.mark_media_started, self.call_id)
        self._spawn(self._pacer(), "pacer")
        self._spawn(self._supervisor(), "supervisor")
        try:
            self.providers = build_providers(self.context)
            self.stt_stream = await self.providers.stt.open()
        except Exception as exc:
            self._fail("start", exc)
            return
        self._spawn(self._stt_loop(), "stt")
        if any(self.info.answered_by.startswith(m) for m in MACHINE):
            self._on_amd(self.info.answered_by)

    def _spawn(self, coro, stage: str) -> asyncio.Task:
        task = asyncio.create_task(self._guard(coro, stage))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _guard(self, coro, stage: str):
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(stage, exc)

    def _now_ms(self, t: float | None = None) -> int:
        return max(0, int(((t if t is not None else perf_counter()) - self.t0) * 1000))

    def _save(self, fn, *args, **kwargs) -> None:
        task = asyncio.create_task(sync_to_async(fn)(*args, **kwargs))
        self._saves.add(task)
        task.add_done_callback(self._saved)

    def _saved(self, task: asyncio.Task) -> None:
        self._saves.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: could not save: %r", self.call_id, task.exception())

    def _save_turn(self, speaker: str, text: str, **fields: Any) -> None:
        index, self.turn_index = self.turn_index, self.turn_index + 1
        self._save(records.save_turn, self.call_id, index=index, speaker=speaker, text=text, **fields)

    # --- inbound: the per-frame path -----------------------------------------------------------------------
    async def on_audio(self, frame: bytes) -> None:
        if self.closed:
            return
        self.frames_in += 1
        self.caller_track.append(frame)
        if self.stt_stream is not None:
            await self.stt_stream.send(frame)
        speech_now = len(frame) == FRAME_BYTES and self.vad.is_speech(frame)
        if speech_now:
            self.silence_frames = 0
            self.last_voice_t = perf_counter()
            if not self.utt_active:
                self.utt_active = True
                self.heard_sound = True
                self.utt_start_frame = self.frames_in
                self.utt_start_t = self.last_voice_t
                r = self.current
                if r is not None and r.speculative and not r.confirmed.is_set():
                    self._cancel(r)  # the caller went on talking: the speculative reply is void
            r = self.current
            if r is not None and not r.cleared and r.confirmed.is_set() and r.kind in INTERRUPTIBLE:
                if should_interrupt((self.frames_in - self.utt_start_frame + 1) * 20, self.partial, self.turn):
                    await self._barge_in()
            return
        self.silence_frames += 1
        if self.utt_active and self.silence_frames >= 2:
            self.utt_active = False
            self.last_utt_ms = (self.frames_in - self.silence_frames - self.utt_start_frame + 1) * 20
            self.silence_since = perf_counter()
        if (
            self.silence_frames * 20 == self.turn.speculate_silence_ms
            and self.partial
            and self.current is None
            and self.opened
            and self.mode == "conversation"
            and not self.ending
            and not self.failing
        ):
            self.metrics.speculations += 1
            self._start_reply("llm", trigger=self.partial, speculative=True)
        if self.deferred_text and self.silence_frames * 20 >= self.turn.end_of_turn_silence_ms:
            text, self.deferred_text = self.deferred_text, ""
            await self._caller_turn_ended(text)

    def on_mark(self, name: str) -> None:
        gen_s, _, seg_s = name.partition(":")
        try:
            gen, seg = int(gen_s), int(seg_s)
        except ValueError:
            return
        r = self.replies.get(gen)
        if r is None or r.cleared or r.done:
            return  # marks after a clear were not heard
        r.heard = max(r.heard, seg + 1)
        self._maybe_complete(r)

    def on_dtmf(self, digit: str) -> None:
        self.silence_since = perf_counter()

    def _on_live(self, event: str, data: dict[str, Any]) -> None:
        if event == "amd":
            self._on_amd(str(data.get("answered_by", "")))
        elif event == "hangup":
            asyncio.ensure_future(self._line_dropped())

    async def _line_dropped(self) -> None:
        """The provider says the call is over: finish now, whatever the media stream still does."""
        await self.close(caller_hung_up=True)
        await self._quietly(self.transport.close())

    def _on_amd(self, answered_by: str) -> None:
        machine = any(answered_by.startswith(m) for m in MACHINE)
        if self.mode == "voicemail" or not machine or self.ending or self.failing:  # failing: the apology plays on
            return
        self.mode = "voicemail"
        if self.current is not None:
            asyncio.ensure_future(self._barge_in(resume=False))
        if self.info.voicemail_policy == "hang_up":
            asyncio.ensure_future(self._hang_up("voicemail"))

    # --- STT stage ---------------------------------------------------------------------------------------
    async def _stt_loop(self) -> None:
        async for event in self.stt_stream.events():
            if isinstance(event, Transcript):
                if event.text:
                    self.words_since_barge = True
                if event.is_final:
                    if event.text:
                        self.finals.append(event.text)
                    self.partial = " ".join(self.finals)
                else:
                    self.partial = " ".join([*self.finals, event.text]).strip()
                r = self.current
                if r is not None and not r.cleared and r.confirmed.is_set() and r.kind in INTERRUPTIBLE:
                    speech_ms = (
                        (self.frames_in - self.utt_start_frame + 1) * 20 if self.utt_active else self.last_utt_ms
                    )
                    if should_interrupt(speech_ms, self.partial, self.turn):
                        await self._barge_in()
                if event.is_final and event.speech_final:
                    await self._end_of_speech()
            elif isinstance(event, UtteranceEnd) and self.finals:
                await self._end_of_speech()
        if not self.ending and not self.closed:
            raise RuntimeError("speech-to-text stream ended during the call")

    async def _end_of_speech(self) -> None:
        text = " ".join(self.finals).strip()
        self.finals, self.partial = [], ""
        if not text:
            return
        if self.utt_active or self.silence_frames * 20 < self.turn.end_of_turn_silence_ms:
            self.deferred_text = (self.deferred_text + " " + text).strip()
            return
        await self._caller_turn_ended(text)

    async def _caller_turn_ended(self, text: str) -> None:
        now = perf_counter()
        r = self.current
        barged, self.barged_utterance = self.barged_utterance, False
        agent_talking = (
            r is not None and r.confirmed.is_set() and not r.cleared and not barged and r.kind in INTERRUPTIBLE
        )
        start_ms = self._now_ms(self.utt_start_t)
        end_ms = self._now_ms(self.last_voice_t)
        stt_ms = max(0, int((now - self.last_voice_t) * 1000))
        if agent_talking and is_backchannel(text):
            self.metrics.backchannels += 1
            self._save_turn("caller", text, heard_text=text, started_ms=start_ms, ended_ms=end_ms, stt_ms=stt_ms)
            return
        if agent_talking:
            await self._barge_in()
        self._save_turn("caller", text, heard_text=text, started_ms=start_ms, ended_ms=end_ms, stt_ms=stt_ms)
        self.caller_spoke = True
        self.silence_since = now
        self.reprompted = False
        if self.mode != "conversation" or self.ending or self.failing or self.time_up:
            # no new reply: it would take the apology's generation and cut it short
            self.history.append({"role": "user", "content": text})
            return
        if not self.opened:
            self.history.append({"role": "user", "content": text})
            self._open()
            return
        spec = self.current
        if spec is not None and spec.speculative and not spec.confirmed.is_set():
            if same_words(spec.trigger, text):
                self.metrics.speculation_hits += 1
                self.history.append({"role": "user", "content": text})
                spec.t_final = now
                spec.confirmed.set()
                return
            self._cancel(spec)
        self.history.append({"role": "user", "content": text})
        r = self._start_reply("llm", trigger=text)
        r.t_final = now

    # --- replies -----------------------------------------------------------------------------------------
    def _messages(self, pending_user: str = "") -> list[dict[str, Any]]:
        msgs = [{"role": "system", "content": self._system_prompt()}, *self.history]
        if pending_user:
            msgs.append({"role": "user", "content": pending_user})
        return msgs

    def _system_prompt(self) -> str:
        s, lead = self.info.script, self.context.lead
        parts = [str(s.get("instructions", ""))]
        who = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or "the lead"
        parts.append(
            f"You are on a live phone call with {who}"
            + (f" of {lead['company']}" if lead.get("company") else "")
            + f" (local timezone {lead.get('timezone') or 'unknown'}). Speak in short sentences; no lists or markup."
        )
        questions = [q.get("question", "") for q in s.get("qualification_questions") or ()]
        if questions:
            parts.append("Qualification questions, one at a time: " + " | ".join(questions))
        notes = s.get("objection_notes") or {}
        if notes:
            parts.append("Objection replies: " + " | ".join(f"{k}: {v}" for k, v in notes.items()))
        parts.append(
            "Use check_availability before proposing meeting times and book_meeting to book one; if a slot was "
            "taken, offer another. Use search_knowledge_base for product questions, record_opt_out when asked not "
            "to be called again, transfer_to_rep when asked for a person, and end_call when the conversation is over."
        )
        return "\n".join(p for p in parts if p)

    def _start_reply(
        self, kind: str, trigger: str = "", speculative: bool = False, preset: list[str] | None = None
    ) -> Reply:
        self.gen += 1
        r = Reply(gen=self.gen, kind=kind, trigger=trigger, speculative=speculative)
        if not speculative:
            r.confirmed.set()
        now = perf_counter()
        r.t_trigger = now
        if kind == "llm":
            r.t_end = self.last_voice_t
        self.current = r
        self.replies[r.gen] = r
        for old in [g for g in self.replies if g < r.gen - 3]:
            del self.replies[old]
        messages = self._messages(trigger if speculative else "") if preset is None else []
        r.task = asyncio.create_task(self._guard(self._run_reply(r, messages, preset), "reply"))
        return r

    def _say(self, text: str, kind: str = "canned", end_outcome: str = "") -> Reply:
        splitter = SentenceSplitter(first_clause=True)
        pieces = splitter.feed(text + " ") + splitter.flush()
        r = self._start_reply(kind, preset=pieces)
        r.end_outcome = end_outcome
        return r

    def _open(self) -> None:
        if self.opened:
            return
        self.opened = True
        lead = {k: v for k, v in self.context.lead.items() if isinstance(v, str) and v}
        template = str(self.info.script.get("opening_line") or "Hello, this is an AI assistant calling.")
        try:
            text = template.format(**{"first_name": "", "last_name": "", "company": "", **lead})
        except (KeyError, IndexError, ValueError):
            text = template
        self._say(" ".join(text.split()), kind="opening")

    async def _run_reply(self, r: Reply, messages: list[dict[str, Any]], preset: list[str] | None) -> None:
        try:
            tts = await self.providers.tts.open(self.voice)
        except Exception:
            self.tts_down = True
            raise
        r.tts = tts
        if r.gen != self.gen:
            await tts.cancel()
            return
        r.pump = asyncio.create_task(self._guard(self._pump(r, tts), "tts"))
        if preset is not None:
            for piece in preset:
                await self._push(r, tts, piece)
        else:
            await self._generate(r, tts, messages)
        if r.gen != self.gen:
            return
        await tts.end()
        await asyncio.shield(r.pump)  # cancelling the reply must not cancel the pump: it drops late audio

    async def _push(self, r: Reply, tts, piece: str) -> None:
        if r.gen != self.gen:
            return
        if r.t_ready is None:
            r.t_ready = perf_counter()
        r.segments.append(piece)
        await tts.push(piece)
        if r.t_push is None:
            r.t_push = perf_counter()

    async def _generate(self, r: Reply, tts, messages: list[dict[str, Any]]) -> None:
        msgs = list(messages)
        for _round in range(6):
            splitter = SentenceSplitter(first_clause=not r.segments)
            calls: list[ToolCall] = []
            if r.t_llm is None:
                r.t_llm = perf_counter()
            stream = self.providers.llm.stream(msgs, TOOL_SCHEMAS)
            try:
                async for event in stream:
                    if r.gen != self.gen:
                        self.metrics.late_tokens_dropped += 1
                        return
                    if isinstance(event, TextDelta):
                        if r.t_token is None:
                            r.t_token = perf_counter()
                        for piece in splitter.feed(event.text):
                            await self._push(r, tts, piece)
                    elif isinstance(event, ToolCall):
                        if r.t_token is None:
                            r.t_token = perf_counter()
                        calls.append(event)
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            for piece in splitter.flush():
                await self._push(r, tts, piece)
            if not calls:
                return
            await r.confirmed.wait()  # a speculative reply never acts before the caller's turn is confirmed
            if r.gen != self.gen:
                return
            call_msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in calls
                ],
            }
            msgs.append(call_msg)
            self.history.append(call_msg)
            finished = False
            for c in calls:
                result = await run_tool(self.tool_ctx, c.name, c.arguments)
                tool_msg = {"role": "tool", "tool_call_id": c.id, "content": json.dumps(result.data, default=str)}
                msgs.append(tool_msg)
                self.history.append(tool_msg)
                if result.outcome and self.outcome_hint not in ("booked", "opt_out"):
                    self.outcome_hint = result.outcome
                if result.end_outcome:
                    r.end_outcome, finished = result.end_outcome, True
                if result.transfer_to:
                    r.transfer_to = result.transfer_to
            if finished or r.gen != self.gen:
                return

    async def _pump(self, r: Reply, tts) -> None:
        carry = b""
        seg = 0
        queue = self._playout
        async for chunk in tts.audio():
            if r.gen != self.gen:
                self.metrics.late_audio_dropped += 1
                continue
            if r.t_byte is None:
                r.t_byte = perf_counter()
            if not r.confirmed.is_set():
                await r.confirmed.wait()
                if r.gen != self.gen:
                    continue
            if chunk.audio:
                data = carry + chunk.audio if carry else chunk.audio
                whole = len(data) - len(data) % FRAME_BYTES
                if whole and self._first_frame_of is None and r.frames_sent == 0 and r.started_ms is None:
                    self._first_frame_of = r
                    r.started_ms = -1
                # bytes, not memoryviews: bytes are not tracked by the cyclic GC, so queued audio never
                # inflates full collections (measured: 50-100 ms pauses at 100 calls with memoryviews).
                for i in range(0, whole, FRAME_BYTES):
                    queue.append(data[i : i + FRAME_BYTES])
                carry = data[whole:]
            if chunk.boundary and seg < len(r.segments):
                if carry:
                    queue.append(carry.ljust(FRAME_BYTES, bytes([SILENCE_BYTE])))
                    carry = b""
                queue.append(f"{r.gen}:{seg}")
                seg += 1
            self._wake.set()
        if r.gen != self.gen:
            return
        if carry:
            queue.append(carry.ljust(FRAME_BYTES, bytes([SILENCE_BYTE])))
        while seg < len(r.segments):
            queue.append(f"{r.gen}:{seg}")
            seg += 1
        r.marks_queued = seg
        r.audio_done = True
        queue.append(f"end:{r.gen}")
        self._wake.set()

    # --- the pacer: one frame every 20 ms ------------------------------------------------------------------
    async def _pacer(self) -> None:
        queue = self._playout
        send_media = self.transport.send_media
        jitter = self.metrics.jitter
        agent = self.agent_track
        next_at = perf_counter()
        while True:
            if not queue:
                self._wake.clear()
                await self._wake.wait()
                next_at = perf_counter()
                continue
            item = queue.popleft()
            if type(item) is str:
                if item.startswith("end:"):
                    self._audio_sent(int(item[4:]))
                else:
                    await self.transport.send_mark(item)
                continue
            now = perf_counter()
            late = now - next_at
            if late > 0.2:
                next_at = now  # the loop was stalled: restart the grid rather than burst
            jitter.add(late * 1000)
            await send_media(item)
            self.metrics.frames_out += 1
            agent.write_at(int((now - self.t0) * 8000), item)
            r = self._first_frame_of
            if r is not None:
                self._first_frame_of = None
                self._first_frame(r, now)
            if self.current is not None:
                self.current.frames_sent += 1
            next_at += FRAME_S
            delay = next_at - perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)

    def _first_frame(self, r: Reply, now: float) -> None:
        r.t_frame = now
        r.started_ms = self._now_ms(now)
        if r.kind != "llm" or not r.t_end:
            return
        v2v = (now - r.t_end) * 1000
        ready = max(r.t_byte or now, r.t_final or 0.0)
        own = (
            ((r.t_llm or r.t_trigger) - r.t_trigger)
            + ((r.t_push or r.t_ready or 0.0) - (r.t_ready or 0.0))
            + max(0.0, now - ready)
        )
        self.metrics.v2v_ms.append(v2v)
        self.metrics.overhead_ms.append(own * 1000)

    def _audio_sent(self, gen: int) -> None:
        r = self.replies.get(gen)
        if r is None or r.done:
            return

        def give_up() -> None:
            if not r.done and not r.cleared:
                self.metrics.marks_timed_out += 1
                r.heard = max(r.heard, r.marks_queued)
                self._maybe_complete(r)

        grace = APOLOGY_MARK_GRACE_S if r.kind == "apology" else self.turn.mark_timeout_s
        self.loop.call_later(grace, give_up)
        self._maybe_complete(r)

    def _maybe_complete(self, r: Reply) -> None:
        if r.done or not r.audio_done or r.heard < r.marks_queued:
            return
        r.done = True
        if self.current is r:
            self.current = None
        if r.kind != "canned":
            self.silence_since = perf_counter()
        self._finish_agent_turn(r, interrupted=False)
        if r.transfer_to:
            asyncio.ensure_future(self._transfer(r.transfer_to))
        elif r.end_outcome:
            asyncio.ensure_future(self._hang_up(r.end_outcome))

    def _finish_agent_turn(self, r: Reply, interrupted: bool) -> None:
        if not r.segments or r.frames_sent == 0 and not interrupted:
            return
        heard = r.heard_text()
        fields: dict[str, Any] = {
            "heard_text": heard,
            "interrupted": interrupted,
            "started_ms": max(0, r.started_ms or 0),
            "ended_ms": self._now_ms(),
        }
        if r.t_end and r.t_frame:
            for name, stamp in (("stt_ms", r.t_final), ("llm_ms", r.t_token), ("tts_ms", r.t_byte)):
                if stamp:
                    fields[name] = max(0, int((stamp - r.t_end) * 1000))
            fields["v2v_ms"] = max(0, int((r.t_frame - r.t_end) * 1000))
        self._save_turn("agent", r.text(), **fields)
        if heard:
            self.history.append({"role": "assistant", "content": heard})

    def _cancel(self, r: Reply) -> None:
        """Drop a reply that was never heard (speculation overtaken)."""
        if self.current is r:
            self.current = None
        r.cleared = True
        if r.gen == self.gen:
            self.gen += 1
        self._stop_reply(r)

    def _stop_reply(self, r: Reply) -> None:
        if r.task is not None and not r.task.done():
            r.task.cancel()
        if r.tts is not None:
            asyncio.ensure_future(self._quietly(r.tts.cancel()))
        if r.pump is not None and not r.pump.done():
            self.loop.call_later(2.0, r.pump.cancel)  # late audio meanwhile is dropped by generation

    @staticmethod
    async def _quietly(coro) -> None:
        try:
            await coro
        except Exception:
            log.debug("ignored error while cancelling", exc_info=True)

    async def _barge_in(self, resume: bool = True) -> None:
        """The caller took the turn: clear Twilio's buffer at once, cancel the reply, keep what was heard."""
        r = self.current
        if r is None or r.cleared:
            return
        decided_at, frames_at = perf_counter(), self.metrics.frames_out
        r.cleared = True
        self.current = None
        self.gen += 1
        self._playout.clear()
        self._first_frame_of = None
        played = r.frames_sent > 0
        if played:
            await self.transport.send_clear()
            self.metrics.clear_ms.append((perf_counter() - decided_at) * 1000)
            self.metrics.barge_ins.append((frames_at, self.metrics.frames_out))
        self._stop_reply(r)
        self.barged_utterance = True
        if not played:
            return
        self.metrics.interruptions += 1
        self._finish_agent_turn(r, interrupted=True)
        unheard = r.segments[r.heard :]
        if resume and unheard and self.mode == "conversation":
            self.words_since_barge = bool(self.partial)
            self.loop.call_later(self.turn.false_interruption_s, self._maybe_resume, unheard, r.end_outcome)

    def _maybe_resume(self, unheard: list[str], end_outcome: str) -> None:
        if self.words_since_barge or self.current is not None or self.ending or self.failing or self.utt_active:
            return
        self.metrics.false_interruptions += 1
        r = self._start_reply("resume", preset=list(unheard))
        r.end_outcome = end_outcome

    # --- supervisor: greeting, silence, max length, voicemail -----------------------------------------
    async def _supervisor(self) -> None:
        t = self.turn
        while not self.ending:
            await asyncio.sleep(0.1)
            now = perf_counter()
            if self.ending or self.failing:
                return
            if self.mode == "voicemail":
                quiet = now - max(self.last_voice_t, self.t0)
                if not self.voicemail_left and self.current is None and not self.utt_active and (
                    (self.heard_sound and quiet >= 0.8) or now - self.t0 >= 6.0
                ):
                    self.voicemail_left = True
                    message = str(self.info.script.get("voicemail_message") or "")
                    if message:
                        self._say(message, kind="voicemail", end_outcome="voicemail")
                    else:
                        await self._hang_up("voicemail")
                continue
            if not self.opened:
                if (now - self.t0) * 1000 >= t.greeting_wait_ms and not self.utt_active and not self.finals:
                    self._open()
                continue
            if not self.time_up and now - self.t0 >= self.info.max_call_seconds:
                self.time_up = True
                if self.current is not None:
                    await self._barge_in(resume=False)
                self._say(TIME_UP, kind="closing", end_outcome=self.outcome_hint or "conversation")
                continue
            idle = self.current is None and not self.utt_active and not self.finals and not self.deferred_text
            if not idle or self.time_up:
                continue
            quiet = now - self.silence_since
            if not self.reprompted and quiet >= t.reprompt_s:
                self.reprompted = True
                self._say(REPROMPT)
                self.silence_since = now - t.reprompt_s  # the re-prompt does not restart the silence clock
            elif self.reprompted and quiet >= t.silence_hangup_s:
                outcome = "conversation" if self.caller_spoke else "no_answer"
                self._say(SILENCE_GOODBYE, kind="closing", end_outcome=outcome)
                self.time_up = True

    # --- ending ------------------------------------------------------------------------------------------
    def _fail(self, stage: str, exc: BaseException) -> None:
        if self.failing or self.closed:
            return
        if self.ending:
            log.info("call %s: %s stopped while ending: %r", self.call_id, stage, exc)
            return
        self.failing = True
        self.tts_down = self.tts_down or stage == "tts"
        self.error = f"{stage} failed: {exc!r}"[:500]
        self.metrics.error = self.error
        log.warning("call %s: %s; apologising and hanging up", self.call_id, self.error)
        asyncio.ensure_future(self._apologise())

    async def _apologise(self) -> None:
        """Say APOLOGY, then hang up as soon as its mark comes back (or its last frame plus a short grace).

        The apology is an ordinary reply for the pacer and the marks: it streams through `_pump` as its audio
        arrives, and `_maybe_complete` hangs up with its end_outcome. Waiting on `done` here is only a backstop.
        """
        try:
            if self.current is not None:
                await self._barge_in(resume=False)
            self.gen += 1
            r = Reply(gen=self.gen, kind="apology", segments=[APOLOGY], end_outcome="failed")
            r.confirmed.set()
            self.current = r
            self.replies[r.gen] = r
            await self._pump(r, await self._apology_stream())
            backstop = len(self._playout) * FRAME_S + self.turn.mark_timeout_s + 1
            await asyncio.wait_for(self.done.wait(), timeout=backstop)
        except TimeoutError:
            log.info("call %s: the apology was not confirmed played; hanging up anyway", self.call_id)
        except Exception:
            log.exception("call %s: apology failed", self.call_id)
        finally:
            await self._hang_up("failed")

    async def _apology_stream(self) -> _ApologyAudio:
        """The apology in the call's voice when its TTS starts within APOLOGY_TTS_WAIT_S; the local voice if not."""
        if self.providers is not None and not self.tts_down:
            tts = None
            try:
                async def first_chunk():
                    nonlocal tts
                    tts = await self.providers.tts.open(self.voice)
                    await tts.push(APOLOGY)
                    await tts.end()
                    chunks = aiter(tts.audio())
                    return chunks, await anext(chunks)

                chunks, first = await asyncio.wait_for(first_chunk(), timeout=APOLOGY_TTS_WAIT_S)
                return _ApologyAudio(self.call_id, first, chunks)
            except Exception as exc:
                log.info("call %s: apology via TTS failed (%r); using the local voice", self.call_id, exc)
                if tts is not None:
                    await self._quietly(tts.cancel())
        return _ApologyAudio(self.call_id, AudioChunk(speech.render(APOLOGY)[0], boundary=True))

    async def _transfer(self, to: str) -> None:
        await self._end_line("transferred", lambda t, sid: t.transfer(sid, to))

    async def _hang_up(self, outcome: str) -> None:
        await self._end_line(outcome, lambda t, sid: t.hangup(sid))

    async def _end_line(self, outcome: str, action) -> None:
        if self.ending:
            return
        self.ending = True
        self.outcome = self._settle_outcome(outcome)
        sid = self.context.call_sid
        if sid:
            try:
                from voice.telephony import get_telephony

                await sync_to_async(action, thread_sensitive=False)(get_telephony(), sid)
            except Exception as exc:
                log.warning("call %s: telephony could not end the call (%r); closing the stream", self.call_id, exc)
        self.done.set()
        await self._quietly(self.transport.close())

    def _settle_outcome(self, outcome: str) -> str:
        if self.outcome_hint in ("booked", "opt_out", "transferred") and outcome != "failed":
            return self.outcome_hint
        return outcome

    async def close(self, caller_hung_up: bool = False) -> None:
        """The stream is over (either side): stop every stage, save what is left, hand over to the dialer."""
        if self.closed:
            return
        self.closed = True
        self.done.set()
        if not self.outcome:
            if self.failing:
                self.outcome = "failed"
            elif self.outcome_hint:
                self.outcome = self.outcome_hint
            elif self.mode == "voicemail":
                self.outcome = "voicemail"
            else:
                self.outcome = "hung_up"
        live.unregister(self.call_id)
        r = self.current
        if r is not None and r.frames_sent and not r.done:
            r.done = True
            self._finish_agent_turn(r, interrupted=False)
        for reply in list(self.replies.values()):
            self._stop_reply(reply)
            if reply.pump is not None:
                reply.pump.cancel()
        for task in list(self._tasks):
            task.cancel()
        closing = [self._quietly(self.stt_stream.close())] if self.stt_stream is not None else []
        if self.providers is not None:
            closing.append(self._quietly(self.providers.aclose()))  # vendor sockets (Cartesia) do not linger
        await asyncio.gather(*closing)
        if self._saves:
            await asyncio.gather(*self._saves, return_exceptions=True)
        self.metrics.frames_in = self.frames_in
        self.metrics.outcome = self.outcome
        recording = stereo_wav(bytes(self.caller_track.buf), bytes(self.agent_track.buf)) if self.frames_in else None
        try:
            await sync_to_async(records.save_call_end)(self.call_id, self.outcome, self.error, recording)
            await sync_to_async(records.finalize)(self.call_id)
        except Exception:
            log.exception("call %s: could not record the end of the call", self.call_id)
        await sync_to_async(records.release_connection)()
        metrics.publish(self.metrics)
