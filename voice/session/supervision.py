"""Supervision: provider events (AMD verdict, hang-up), the greeting wait, re-prompt and hang-up on silence,
the maximum call length, and leaving a voicemail."""
from __future__ import annotations

import asyncio
import logging
from time import perf_counter
from typing import Any

from voice import db
from voice.session.state import MACHINE, REPROMPT, SHUTDOWN_GOODBYE, SILENCE_GOODBYE, TIME_UP

log = logging.getLogger(__name__)

BACKSTOP_MS = 200  # the frame clock normally ends a pending turn first
SUBSCRIBE_DEADLINE_S = 5.0  # the event bus confirms a subscription this soon, or the row is read anyway
SHUTDOWN_DEADLINE_S = 8.0  # the goodbye on shutdown is heard within this, or the line is hung up regardless
CLOSE_WAIT_S = 20.0  # ... and the media handler closes the session within this, or shutdown closes it


class Supervision:
    """Mixed into CallSession: the call's clock and the world outside the media stream."""

    def _on_live(self, event: str, data: dict[str, Any]) -> None:
        if event == "amd":
            self._on_amd(str(data.get("answered_by", "")))
        elif event == "hangup":
            self._keep(self._line_dropped())
        elif event == "resync":  # the bus may have missed events: read the row again
            self._keep(self._resync(None))

    async def _resync(self, subscribed) -> None:
        """Once subscribed to the call's events, read the call row once and apply what it says, so an AMD verdict
        or a hang-up sent before the subscription is not lost."""
        if subscribed is not None:
            try:
                await asyncio.wait_for(asyncio.shield(subscribed), timeout=SUBSCRIBE_DEADLINE_S)
            except Exception as exc:  # no bus: the row read below is all there is
                log.warning("call %s: event subscription not confirmed (%r)", self.call_id, exc)
        state = await db.run(self.records.live_state, self.call_id)
        if self.closing:
            return
        if state["answered_by"]:
            self._on_amd(state["answered_by"])
        if state["ended"]:
            await self._line_dropped()

    async def _line_dropped(self) -> None:
        """The provider says the call is over: finish now, whatever the media stream still does."""
        await self.close(caller_hung_up=True)
        await self._quietly(self.transport.close())

    def _provider_switched(self, record: dict[str, Any]) -> None:
        """A layer moved the call to its next provider (or that provider served its first output): saved on the
        call for its page; no apology, the call goes on."""
        if record not in self.switches:
            self.switches.append(record)
            self.metrics.switches.append(record)
        self._save(self.records.save_provider_switches, self.call_id, self._switches_saved())

    def _switches_saved(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "t"} for r in self.switches]

    def _on_amd(self, answered_by: str) -> None:
        if answered_by == "fax":  # a fax tone: nobody to talk to and no message to leave (outcome `fax`, no retry)
            if not (self.ending or self.failing or self.closing):
                if self.current is not None:
                    self._keep(self._barge_in(resume=False))
                self._keep(self._hang_up("fax"))
            return
        machine = any(answered_by.startswith(m) for m in MACHINE)
        if self.mode == "voicemail" or not machine or self.ending or self.failing or self.closing:
            return  # failing: the apology plays on
        self.mode = "voicemail"
        if self.current is not None:
            self._keep(self._barge_in(resume=False))
        if self.info.voicemail_policy == "hang_up":
            self._keep(self._hang_up("voicemail"))

    async def shutdown(self, reason: str = "drain") -> None:
        """End the call gracefully because this process is going away (SIGTERM after VOICE_DRAIN_SECONDS):
        a short goodbye when the agent may speak, then hang up; the outcome is what the call established, else
        `callback` (the conversation was cut by us). Returns once the session is closed (or SHUTDOWN_DEADLINE_S)."""
        if not self.closing:
            log.info("call %s: shutting down (%s)", self.call_id, reason)
            self.error = self.error or f"ended by {reason}"
            if not (self.ending or self.failing):
                if self.mode == "voicemail":
                    self._keep(self._hang_up("voicemail" if self.voicemail_left else "no_answer"))
                else:
                    if self.current is not None:
                        await self._barge_in(resume=False)
                    self.time_up = True
                    self._say(SHUTDOWN_GOODBYE, kind="closing", end_outcome=self.outcome_hint or "callback")
            try:
                await asyncio.wait_for(self.done.wait(), timeout=SHUTDOWN_DEADLINE_S)
            except TimeoutError:
                await self._hang_up(self.outcome_hint or "callback")
        try:
            await asyncio.wait_for(self.closed_event.wait(), timeout=CLOSE_WAIT_S)
        except TimeoutError:
            await self.close()

    async def _supervisor(self) -> None:
        t = self.turn
        while not self.ending:
            await asyncio.sleep(0.1)
            now = perf_counter()
            if self.ending or self.failing:
                return
            await self._turn_deadlines(now)
            if self.held_turn is not None:  # backstop: released on the disclosure's mark, or its mark timeout
                self._maybe_release_held_turn()
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
                pending = (  # deadlines bound each of these
                    self.utt_active or self.finals or self.partial or self.deferred_text or self._stt_pending(now)
                )
                if (now - self.t0) * 1000 >= t.greeting_wait_ms and not pending:
                    self._open()
                continue
            if not self.time_up and now - self.t0 >= self.info.max_call_seconds:
                self.time_up = True
                if self.current is not None:
                    await self._barge_in(resume=False)
                self._say(TIME_UP, kind="closing", end_outcome=self.outcome_hint or "conversation")
                continue
            idle = self.current is None and not self.utt_active  # the agent is not speaking, nor the caller
            if not idle or self.time_up:
                continue
            quiet = now - self.silence_since
            if not self.reprompted and quiet >= t.reprompt_s:
                self.reprompted = True
                self._say(REPROMPT)
                self.silence_since = now - t.reprompt_s  # the re-prompt does not restart the silence clock
            elif self.reprompted and quiet >= t.silence_hangup_s:
                outcome = "conversation" if self.caller_spoke else "hung_up"  # answered: never "no_answer"
                self._say(SILENCE_GOODBYE, kind="closing", end_outcome=outcome)
                self.time_up = True


    async def _turn_deadlines(self, now: float) -> None:
        """Backstop on the wall clock for the frame-clock deadlines of turn-taking (frames may stop coming):
        words pending with no end of speech become the turn; a speculative reply whose confirming transcript never
        came is confirmed by the interim it was built on."""
        if self.utt_active:
            return
        t = self.turn
        quiet_ms = (now - max(self.last_voice_t, self.t0)) * 1000
        if self.partial or self.deferred_text:
            if not self.partial and self._stt_pending(now):
                return  # a held turn whose next words the STT is still transcribing: they are this turn's
            limit = t.end_of_turn_fallback_ms if self.finals or self.deferred_text else t.interim_fallback_ms
            if quiet_ms >= limit + BACKSTOP_MS:
                await self._force_end_of_turn()
            return
        r = self.current
        if r is not None and r.speculative and not r.confirmed.is_set() and quiet_ms >= t.interim_fallback_ms:
            await self._caller_turn_ended(r.trigger)
