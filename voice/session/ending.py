"""Ending: a stage failure (apology, hang-up, outcome failed), hang-up and transfer through the telephony
provider, and close (stop every stage, save what is left, hand over to the dialer)."""
from __future__ import annotations

import asyncio
import logging

from asgiref.sync import sync_to_async

from voice import live, metrics, records
from voice.audio import stereo_wav
from voice.providers.base import AudioChunk
from voice.session.state import APOLOGY, APOLOGY_TTS_WAIT_S, FRAME_S, Reply
from voice.sim import speech

log = logging.getLogger(__name__)


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



class Ending:
    """Mixed into CallSession: how a call ends."""

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
