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
from time import perf_counter
from typing import Any

from asgiref.sync import sync_to_async

from voice import live, metrics, records
from voice.audio import TrackRecorder
from voice.providers.base import CallContext
from voice.providers.factory import build_providers
from voice.session.ending import Ending
from voice.session.playout import Playout
from voice.session.replies import ReplyPipeline
from voice.session.state import MACHINE, Reply, Transport
from voice.session.supervision import Supervision
from voice.session.turn_taking import TurnTaking
from voice.tools import ToolContext
from voice.turns import TurnSettings, VoiceActivity

log = logging.getLogger(__name__)


class CallSession(TurnTaking, ReplyPipeline, Playout, Supervision, Ending):
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

    @staticmethod
    async def _quietly(coro) -> None:
        try:
            await coro
        except Exception:
            log.debug("ignored error while cancelling", exc_info=True)

