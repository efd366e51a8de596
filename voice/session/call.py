"""CallSession: one answered call's conversation, as a few small asyncio stages around one shared state.

Stages (one module each): turn-taking (caller frames, STT events), the reply pipeline, playout (pump and pacer),
supervision and ending. Every reply has a generation id; bumping `gen` is the one event that cancels a reply
everywhere: the pump, the LLM loop and the pacer drop anything of an older generation, which is why audio cannot
keep playing after a barge-in.
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from time import perf_counter
from typing import Any

from voice import listening, live, metrics, records
from voice.audio import TrackRecorder
from voice.echo import EchoGuard
from voice.providers.base import CallContext
from voice.providers.factory import build_providers
from voice.session.ending import Ending
from voice.session.playout import Playout
from voice.session.replies import ReplyPipeline
from voice.session.safeguards import Safeguards
from voice.session.saving import Saving
from voice.session.state import MACHINE, Reply, Transport
from voice.session.supervision import Supervision
from voice.session.turn_taking import TurnTaking
from voice.tools import ToolContext, schemas_for
from voice.turns import TurnSettings, voice_activity

log = logging.getLogger(__name__)


class CallSession(TurnTaking, ReplyPipeline, Playout, Supervision, Ending, Saving, Safeguards):
    """One call's conversation. A kind of call other than a campaign's (a browser test call, `voice.test_calls`)
    swaps `records` (where it is written), `on_telephony` (whether a provider line is hung up / transferred),
    `_subscribe_events` and `_run_tool`; `observer` gets live captions; `tap` feeds listeners (`voice.listening`)."""

    records: Any = records  # the module of database functions the stages call through `db.run`
    on_telephony = True  # hang-up / transfer go to the telephony provider for the call's sid

    def __init__(self, info: records.CallInfo, transport: Transport, turn: TurnSettings | None = None) -> None:
        self.info = info
        self.call_id = info.call_id
        self.transport = transport
        self.turn = turn or TurnSettings.from_settings()
        self.loop = asyncio.get_running_loop()
        self.metrics = metrics.CallMetrics(call_id=info.call_id)
        self.vad = voice_activity(self.turn)
        self.echo = EchoGuard()  # the agent's own voice coming back is not the caller
        self.last_agent_words: list[str] = []  # the last finished reply's final piece, for echo transcripts
        self.recent_pieces: deque[tuple[float, str]] = deque(maxlen=8)  # (pushed at, piece), for the same
        self.last_agent_end_t = 0.0
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
        self._timers: list[asyncio.TimerHandle] = []
        self._unsaved: dict[int, dict[str, Any]] = {}  # turns not yet durably written, by index
        self._turns_queued = asyncio.Event()
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
        self.stt_speech_t = 0.0  # when the STT said speech started, until its final or end of utterance
        self.stt_speech_at = 0.0  # ... and that start on the STT's clock (seconds since the stream opened)
        self.finalize_sent = False  # Finalize sent for the current utterance; its final is the end of speech
        self.promoted: list[str] = []  # words of an interim taken as a turn at its deadline
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
        self.opted_out = False  # the opt-out net matched: the number is (being) put on the do-not-call list
        self.opening_reply: Reply | None = None
        self.held_turn: tuple[str, str] | None = None  # (text, opt-out phrase) said over the AI disclosure
        self.outcome = ""
        self.error = ""
        self.ending = False
        self.failing = False
        self.tts_down = False  # the call's TTS failed: the apology goes straight to the local voice
        self.closing = False  # close() has begun: nothing new starts; what the caller said still lands
        self.closed = False
        self.closed_event = asyncio.Event()
        self.done = asyncio.Event()
        self.stt_stream = None
        self._stt_task: asyncio.Task | None = None
        self._stt_heard = asyncio.Event()  # set after each final or end of utterance the STT sends
        self.providers = None
        self.switches: list[dict[str, Any]] = []  # mid-call provider failovers, as saved on the call
        self.observer: Any = None  # optional: .caption(speaker, text, final) and .turn(fields) for a live page
        self.tap = listening.Tap(info.call_id)
        self.tool_ctx = ToolContext(
            call_id=info.call_id,
            lead_id=info.lead_id,
            campaign_id=info.campaign_id,
            knowledge_base=tuple(info.script.get("knowledge_base") or ()),
            direction=info.direction,
            phone_number_id=info.phone_number_id,
        )
        self.tool_schemas = schemas_for(info.direction, kind=(info.context.campaign or {}).get("kind", ""))

    # --- lifecycle ------------------------------------------------------------------------------------
    async def start(self, call_sid: str, stream_sid: str, custom_parameters: dict[str, str]) -> None:
        self.context.call_sid = call_sid
        self.context.stream_sid = stream_sid
        self.context.custom_parameters = dict(custom_parameters)
        self.t0 = self.silence_since = perf_counter()
        subscribed = self._subscribe_events()
        self.tap.start()
        self._spawn(self._resync(subscribed), "events")
        self._save(self.records.mark_media_started, self.call_id)
        self._spawn(self._turn_writer(), "turns")
        self._spawn(self._pacer(), "pacer")
        self._spawn(self._supervisor(), "supervisor")
        try:
            self.providers = build_providers(self.context, on_switch=self._provider_switched)
            self.stt_stream = await self.providers.stt.open()
        except Exception as exc:
            self._fail("start", exc)
            return
        self._stt_task = self._spawn(self._stt_loop(), "stt")
        if self.info.answered_by == "fax" or any(self.info.answered_by.startswith(m) for m in MACHINE):
            self._on_amd(self.info.answered_by)

    def _subscribe_events(self) -> asyncio.Future[None]:
        """Subscribe to the call-event bus (`voice.live`); the future resolves once subscribed."""
        return live.register(self.call_id, self._on_live)

    def _unsubscribe_events(self) -> None:
        live.unregister(self.call_id)

    def _spawn(self, coro: Coroutine, stage: str) -> asyncio.Task:
        """Run a stage as a task the session keeps (cancelled and awaited at close); its exception fails the call."""
        return self._keep(self._guard(coro, stage), inner=coro)

    def _keep(self, coro: Coroutine, inner: Coroutine | None = None) -> asyncio.Task:
        """Run `coro` as a task the session keeps until it is done, and cancels and awaits at close. A task
        cancelled before it started closes its coroutines, so none is left "never awaited"."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                coro.close()
                if inner is not None:
                    inner.close()
            elif t.exception() is not None:
                log.error("call %s: background task failed: %r", self.call_id, t.exception())

        task.add_done_callback(done)
        return task

    def _later(self, delay: float, callback, *args) -> asyncio.TimerHandle:
        """`loop.call_later`, cancelled at close."""
        handle = self.loop.call_later(delay, callback, *args)
        self._timers = [h for h in self._timers if not h.cancelled() and h.when() > self.loop.time()]
        self._timers.append(handle)
        return handle

    async def _guard(self, coro, stage: str):
        try:
            return await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail(stage, exc)

    def _now_ms(self, t: float | None = None) -> int:
        return max(0, int(((t if t is not None else perf_counter()) - self.t0) * 1000))

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
        if self.held_turn is not None:
            self._maybe_release_held_turn()

    def on_dtmf(self, digit: str) -> None:
        self.silence_since = perf_counter()

    @staticmethod
    async def _quietly(coro) -> None:
        try:
            await coro
        except Exception:
            log.debug("ignored error while cancelling", exc_info=True)

