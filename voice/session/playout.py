"""Playout: the pump (a reply's TTS audio -> 160-byte frames and a mark after each piece, into the playout
queue) and the pacer (one frame every 20 ms on an absolute grid), and what the marks say was heard."""
from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any

from voice.audio import FRAME_BYTES, SILENCE_BYTE
from voice.session.state import APOLOGY_MARK_GRACE_S, FRAME_S, Reply
from voice.turns import words_of


class Playout:
    """Mixed into CallSession: getting the agent's audio out, in time."""

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

    async def _pacer(self) -> None:
        queue = self._playout
        send_media = self.transport.send_media
        jitter = self.metrics.jitter
        agent = self.agent_track
        echo = self.echo
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
            echo.sent(item, now)
            if self.tap.on:
                self.tap.agent(item)
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
        self._later(grace, give_up)
        self._maybe_complete(r)

    def _maybe_complete(self, r: Reply) -> None:
        if r.done or not r.audio_done or r.heard < r.marks_queued:
            return
        r.done = True
        if self.current is r:
            self.current = None
        if r.segments:
            self.last_agent_words, self.last_agent_end_t = words_of(r.segments[-1]), perf_counter()
        if r.kind != "canned":
            self.silence_since = perf_counter()
        self._finish_agent_turn(r, interrupted=False)
        if r.transfer_to:
            self._keep(self._transfer(r.transfer_to))
        elif r.end_outcome:
            self._keep(self._hang_up(r.end_outcome))

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

