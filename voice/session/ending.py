"""Ending: a stage failure (apology, hang-up, outcome failed), hang-up and transfer through the telephony
provider, and close (stop every stage, save what is left, hand over to the dialer)."""
from __future__ import annotations

import asyncio
import logging
from time import perf_counter

from asgiref.sync import sync_to_async

from voice import db, metrics
from voice.audio import stereo_wav
from voice.providers.base import AudioChunk
from voice.session.state import APOLOGY, APOLOGY_TTS_WAIT_S, FRAME_S, Reply
from voice.sim import speech

log = logging.getLogger(__name__)

TELEPHONY_DEADLINE_S = 10.0  # the provider's hang-up/transfer request answers this soon, or the stream closes anyway
STT_FLUSH_S = 1.0  # at close: the STT's last finals come this soon after Finalize, or what was heard is the turn
STT_RECENT_VOICE_S = 1.0  # caller voice this recent at close may still have words in flight
VENDOR_CLOSE_S = 2.0  # cancelling a TTS stream / closing a vendor socket at close


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
        self._keep(self._apologise())

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
        if self.info.direction == "inbound":  # warm when the tool recorded one (inbound/transfers.py)
            from django.db import connection

            from inbound.transfers import carry_out

            def warm(t, sid: str) -> None:
                try:
                    carry_out(t, sid, to, self.call_id)
                finally:
                    connection.close()  # this worker thread's own connection

            await self._end_line("transferred", warm)
            return
        await self._end_line("transferred", lambda t, sid: t.transfer(sid, to))

    async def _hang_up(self, outcome: str) -> None:
        await self._end_line(outcome, lambda t, sid: t.hangup(sid))

    async def _end_line(self, outcome: str, action) -> None:
        if self.ending:
            return
        self.ending = True
        self.outcome = self._settle_outcome(outcome)
        sid = self.context.call_sid
        if sid and self.on_telephony:
            try:
                from voice.telephony import get_telephony

                call = sync_to_async(action, thread_sensitive=False)(get_telephony(), sid)
                await asyncio.wait_for(call, timeout=TELEPHONY_DEADLINE_S)
            except Exception as exc:
                log.warning("call %s: telephony could not end the call (%r); closing the stream", self.call_id, exc)
        self.done.set()
        await self._quietly(self.transport.close())

    def _settle_outcome(self, outcome: str) -> str:
        if self.outcome_hint in ("booked", "opt_out", "transferred") and outcome != "failed":
            return self.outcome_hint
        return outcome

    async def close(self, caller_hung_up: bool = False) -> None:
        """The stream is over (either side): hear the caller's last words out, stop every stage, save what is
        left, hand over to the dialer. Nothing new starts once this begins; safe to call twice."""
        if self.closing:
            return
        self.closing = True
        self.done.set()
        await self._flush_stt()
        self.closed = True
        self._unsubscribe_events()
        self.tap.close()
        if not self.outcome:
            if self.failing:
                self.outcome = "failed"
            elif self.outcome_hint:
                self.outcome = self.outcome_hint
            elif self.mode == "voicemail":
                self.outcome = "voicemail"
            else:
                self.outcome = "hung_up"
        else:
            self.outcome = self._settle_outcome(self.outcome)  # an opt-out heard in the last words still counts
        r = self.current
        if r is not None and r.frames_sent and not r.done:
            r.done = True
            self._finish_agent_turn(r, interrupted=False)
        await self._stop_everything()
        self._save(self.records.save_disclosure_heard, self.call_id, self._disclosure_heard())
        if self._saves:
            await asyncio.gather(*self._saves, return_exceptions=True)
        await self._flush_turns()
        self.metrics.frames_in = self.frames_in
        self.metrics.echo_frames = self.echo.echo_frames
        self.metrics.outcome = self.outcome
        recording = stereo_wav(bytes(self.caller_track.buf), bytes(self.agent_track.buf)) if self.frames_in else None
        try:
            if self.switches:  # the last word on them, whatever order the saves during the call landed in
                await db.run(self.records.save_provider_switches, self.call_id, self._switches_saved())
            await db.run(self.records.save_call_end, self.call_id, self.outcome, self.error, recording)
            await db.run(self.records.finalize, self.call_id)
        except Exception:
            log.exception("call %s: could not record the end of the call", self.call_id)
        metrics.publish(self.metrics)
        self.closed_event.set()

    async def _flush_stt(self) -> None:
        """Before the STT is closed: if the caller may have words in flight, ask the STT to flush them (Finalize)
        and wait up to STT_FLUSH_S for them; then whatever was heard becomes the caller's last turn (saved, and
        acted on: an opt-out in the last second still reaches the do-not-call list)."""
        stt_alive = self._stt_task is not None and not self._stt_task.done()
        recent = self.last_voice_t and perf_counter() - self.last_voice_t < STT_RECENT_VOICE_S
        if stt_alive and (self.utt_active or self.partial or self.finals or recent):
            self._stt_heard.clear()
            finalize = getattr(self.stt_stream, "finalize", None)
            try:
                if finalize is not None:
                    await asyncio.wait_for(finalize(), timeout=STT_FLUSH_S)
                await asyncio.wait_for(self._stt_heard.wait(), timeout=STT_FLUSH_S)
            except Exception as exc:
                log.info("call %s: the STT did not flush before close (%r)", self.call_id, exc)
        self.utt_active = False
        await self._force_end_of_turn()

    async def _stop_everything(self) -> None:
        """Cancel every reply, timer and task the session started (except the one running this), await them,
        and release the vendors' streams; each with a deadline."""
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        cancels = []
        for reply in list(self.replies.values()):
            reply.cleared = True
            if reply.tts is not None:
                cancels.append(self._quietly(asyncio.wait_for(reply.tts.cancel(), timeout=VENDOR_CLOSE_S)))
        me = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*cancels)
        if tasks:
            await asyncio.wait(tasks, timeout=VENDOR_CLOSE_S)
        closing = []
        if self.stt_stream is not None:
            closing.append(self._quietly(asyncio.wait_for(self.stt_stream.close(), timeout=VENDOR_CLOSE_S)))
        if self.providers is not None:  # vendor sockets (Cartesia) do not linger
            closing.append(self._quietly(asyncio.wait_for(self.providers.aclose(), timeout=VENDOR_CLOSE_S)))
        await asyncio.gather(*closing)
