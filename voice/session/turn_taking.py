"""Turn-taking: the per-frame path (recording, STT send, VAD, barge-in), the STT events, the end of a caller's
turn (with speculation), barge-in and the resume after a false interruption."""
from __future__ import annotations

from time import perf_counter

from voice.audio import FRAME_BYTES
from voice.providers.base import Transcript, UtteranceEnd
from voice.session.state import INTERRUPTIBLE
from voice.turns import is_backchannel, same_words, should_interrupt


class TurnTaking:
    """Mixed into CallSession: who has the turn."""

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

