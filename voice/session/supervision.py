"""Supervision: provider events (AMD verdict, hang-up), the greeting wait, re-prompt and hang-up on silence,
the maximum call length, and leaving a voicemail."""
from __future__ import annotations

import asyncio
from time import perf_counter
from typing import Any

from voice.session.state import MACHINE, REPROMPT, SILENCE_GOODBYE, TIME_UP


class Supervision:
    """Mixed into CallSession: the call's clock and the world outside the media stream."""

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

