"""A simulated callee that connects to the media WebSocket exactly as Twilio does.

It sends `connected`, `start` (streamSid, callSid, customParameters, mediaFormat), a continuous stream of
20 ms mu-law `media` frames (speech-shaped audio while a persona line is spoken, silence otherwise), echoes each
`mark` when its playback reaches it (and every pending mark at once on `clear`, as Twilio does), and `stop` when
it hangs up. The words of each line go to the rehearsal STT through `voice.sim.captions`.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.client import connect

from voice import media_streams as ms
from voice.audio import SILENCE_FRAME, frames, mix
from voice.sim import captions, speech, voices
from voice.sim.personas import Line
from voice.sim.personas import persona as get_persona

logger = logging.getLogger(__name__)

TICK = 0.020
REPLY_GAP_TICKS = 45  # the persona answers after the agent has been quiet for 900 ms
BURST_GAP_TICKS = 15  # 300 ms of agent silence separates two agent replies
START_DELAY_TICKS = 15


@dataclass
class CalleeLog:
    """What a callee saw; tests and the benchmark read it. `events` only when `record_events`."""

    record_events: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)  # ("media"|"mark"|"clear"|"said", detail)
    said: list[str] = field(default_factory=list)
    agent_frames: int = 0
    marks_echoed: list[str] = field(default_factory=list)
    clears: int = 0
    v2v_ms: list[float] = field(default_factory=list)
    refused: bool = False
    hung_up_by: str = ""
    agent_audio: bytearray = field(default_factory=bytearray)


class _Callee:
    def __init__(self, ws, stream_sid: str, call_sid: str, account_sid: str, lines: tuple[Line, ...], log_: CalleeLog):
        self.ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.account_sid = account_sid
        self.lines = list(lines)
        self.log = log_
        self.seq = 2
        self.chunk = 0
        self.tick = 0
        self.playback: deque[bytes | str] = deque()
        self.outgoing: deque[bytes] = deque()
        self.utterances = 0
        self.last_agent_tick = -(10**6)
        self.burst_start_tick = 0
        self.agent_frames_since_line = 0
        self.awaiting_reply_since: float | None = None
        self.current_line: Line | None = None
        self.custom: dict[str, str] = {}
        self.echo: deque[bytes] | None = None  # agent frames played, returned `echo_delay_ms` later (a speakerphone)
        self.echo_db = 0.0
        self.played: bytes = SILENCE_FRAME

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    async def receive(self) -> None:
        async for raw in self.ws:
            try:
                event = ms.decode_outbound(raw)
            except ms.MalformedFrame:
                logger.warning("callee %s: malformed frame from server", self.call_sid)
                continue
            if isinstance(event, ms.Media):
                if self.awaiting_reply_since is not None:
                    self.log.v2v_ms.append((time.perf_counter() - self.awaiting_reply_since) * 1000)
                    self.awaiting_reply_since = None
                self.playback.append(event.payload)
                self.log.agent_frames += 1
                self.log.agent_audio += event.payload
                if self.log.record_events:
                    self.log.events.append(("media", ""))
            elif isinstance(event, ms.Mark):
                self.playback.append(event.name)
                if self.log.record_events:
                    self.log.events.append(("mark", event.name))
            elif isinstance(event, ms.Clear):
                self.log.clears += 1
                if self.log.record_events:
                    self.log.events.append(("clear", ""))
                pending = [item for item in self.playback if isinstance(item, str)]
                self.playback.clear()
                for name in pending:
                    await self._echo_mark(name)

    async def _echo_mark(self, name: str) -> None:
        self.log.marks_echoed.append(name)
        if self.log.record_events:
            self.log.events.append(("echo", name))
        await self.ws.send(ms.inbound_mark_message(self.stream_sid, self._next_seq(), name))

    async def _play_one_frame(self) -> None:
        played = False
        self.played = SILENCE_FRAME
        while self.playback:
            head = self.playback[0]
            if isinstance(head, str):
                self.playback.popleft()
                await self._echo_mark(head)
            elif played:
                break
            else:
                self.played = self.playback.popleft()
                played = True
                if self.tick - self.last_agent_tick > BURST_GAP_TICKS:
                    self.burst_start_tick = self.tick
                self.last_agent_tick = self.tick
                self.agent_frames_since_line += 1

    def _due(self, line: Line) -> bool:
        if line.when == "at_start":
            return self.tick >= START_DELAY_TICKS
        agent_quiet_for = self.tick - self.last_agent_tick
        if line.when == "over_agent":
            return agent_quiet_for <= 1 and (self.tick - self.burst_start_tick) * 20 >= line.after_ms
        return self.agent_frames_since_line > 0 and agent_quiet_for >= REPLY_GAP_TICKS and not self.playback

    async def _say(self, line: Line) -> None:
        self.current_line = line
        self.agent_frames_since_line = 0
        if line.noise_ms:  # a cough, a door: voiced sound, no words for the STT
            audio = speech.render("ahem " * (line.noise_ms // 150 + 1), voice=1)[0][: line.noise_ms * 8]
            words: list[tuple[str, int, int]] = []
        else:
            audio, words = voices.line_audio(line)
        if line.beep:
            audio += b"\xff" * 2400 + speech.beep()
        self.utterances += 1
        if words:
            # `at`: the wall time of `start_chunk`, so a vendor emulator whose stream opened mid-call (a reconnect,
            # a failover) can place the words on its own audio clock
            caption = {"utterance": self.utterances, "start_chunk": self.chunk + 1, "words": [list(w) for w in words],
                       "at": time.time()}
            await captions.publish(self.call_sid, caption)
        self.outgoing.extend(frames(audio))
        self.log.said.append(line.text or f"<noise {line.noise_ms} ms>")
        if self.log.record_events:
            self.log.events.append(("said", line.text or "<noise>"))

    async def run(self, linger_s: float, max_seconds: float) -> None:
        await self.ws.send(ms.connected_message())
        await self.ws.send(ms.start_message(self.stream_sid, self.call_sid, self.account_sid, self.custom))
        receiver = asyncio.create_task(self.receive())
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        quiet_since_done: int | None = None
        try:
            while not receiver.done():
                self.tick += 1
                if self.outgoing:
                    frame = self.outgoing.popleft()
                    if not self.outgoing:
                        self.agent_frames_since_line = 0  # only the agent's answer to this line counts
                        line = self.current_line
                        if line is not None and line.expects_reply:
                            self.awaiting_reply_since = time.perf_counter()
                        self.current_line = None
                else:
                    frame = SILENCE_FRAME
                if self.echo is not None:
                    self.echo.append(self.played)
                    frame = mix(frame, self.echo.popleft(), self.echo_db)
                self.chunk += 1
                await self.ws.send(
                    ms.inbound_media_message(self.stream_sid, self._next_seq(), self.chunk, self.chunk * 20, frame)
                )
                await self._play_one_frame()
                if not self.outgoing:
                    if self.lines and self._due(self.lines[0]):
                        await self._say(self.lines.pop(0))
                    elif not self.lines:
                        quiet_since_done = self.tick if quiet_since_done is None else quiet_since_done
                        if (self.tick - max(quiet_since_done, self.last_agent_tick)) * TICK >= linger_s:
                            self.log.hung_up_by = "callee"
                            break
                if self.tick * TICK >= max_seconds:
                    self.log.hung_up_by = "callee"
                    break
                next_at += TICK
                delay = next_at - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.2:
                    next_at = loop.time()  # badly late (overloaded machine): resynchronise instead of bursting
            else:
                self.log.hung_up_by = self.log.hung_up_by or "agent"
            if self.log.hung_up_by == "callee":
                await self.ws.send(ms.stop_message(self.stream_sid, self._next_seq(), self.account_sid, self.call_sid))
        except websockets.ConnectionClosed:
            self.log.hung_up_by = self.log.hung_up_by or "agent"
        finally:
            receiver.cancel()
            try:
                await receiver
            except (asyncio.CancelledError, websockets.ConnectionClosed):
                pass


async def run_callee(
    stream_url: str,
    call_sid: str,
    persona: str,
    account_sid: str = "ACsimulated",
    custom_parameters: dict | None = None,
    *,
    log: CalleeLog | None = None,
    max_seconds: float = 600.0,
) -> None:
    """Answer as `persona` over the media WebSocket at `stream_url`; returns when either side hangs up."""
    spec = get_persona(persona)
    log_ = log if log is not None else CalleeLog()
    await asyncio.to_thread(voices.prepare, spec.lines)  # real speech is rendered before the call, not mid-tick
    try:
        async with connect(stream_url, compression=None, open_timeout=10, max_size=2**20) as ws:
            callee = _Callee(ws, "MZ" + uuid.uuid4().hex, call_sid, account_sid, spec.lines, log_)
            callee.custom = dict(custom_parameters or {})
            if spec.echo_db is not None:
                callee.echo_db, callee.echo = spec.echo_db, deque([SILENCE_FRAME] * (spec.echo_delay_ms // 20))
            await callee.run(spec.linger_s, max_seconds)
    except websockets.InvalidStatus as exc:
        log_.refused = True
        logger.info("callee %s: media WebSocket refused (%s)", call_sid, exc.response.status_code)
    except (OSError, websockets.ConnectionClosed, TimeoutError) as exc:
        log_.refused = log_.refused or not log_.said
        logger.info("callee %s: connection ended: %s", call_sid, exc)
    finally:
        await captions.forget(call_sid)

