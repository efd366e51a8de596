"""Turn-taking: the per-frame path (recording, STT send, VAD, barge-in), the STT events, the end of a caller's
turn (with speculation), barge-in and the resume after a false interruption."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from time import perf_counter

from voice.audio import FRAME_BYTES
from voice.echo import repeats_agent
from voice.providers.base import SpeechStarted, Transcript, UtteranceEnd
from voice.session.safeguards import OPT_OUT_NOTE
from voice.session.state import INTERRUPTIBLE
from voice.turns import is_backchannel, same_words, should_interrupt, words_of

ECHO_TAIL_S = 1.0  # a piece pushed or finished this recently may still come back as echo
# After the STT's start of speech and the caller's last voiced frame, its words may still come for this long; an STT
# whose every start of speech ends in a final or an end of utterance (Whisper) says how long with `pending_words_s`.
STT_PENDING_S = 1.0


class TurnTaking:
    """Mixed into CallSession: who has the turn."""

    async def on_audio(self, frame: bytes) -> None:
        if self.closed:
            return
        self.frames_in += 1
        self.caller_track.append(frame)
        if self.tap.on:
            self.tap.caller(frame)
        if self.stt_stream is not None:
            await self.stt_stream.send(frame)
        speech_now = len(frame) == FRAME_BYTES and self.vad.is_speech(frame)
        if self.echo.is_echo(frame, speech_now, perf_counter()):
            speech_now = False  # the agent's own voice coming back (speakerphone): not the caller
        if speech_now:
            self.silence_frames = 0
            self.last_voice_t = perf_counter()
            if not self.utt_active:
                self.utt_active = True
                self.heard_sound = True
                self.utt_start_frame = self.frames_in
                self.utt_start_t = self.last_voice_t
                self.finalize_sent = False
                r = self.current
                if r is not None and r.speculative and not r.confirmed.is_set():
                    self._cancel(r)  # the caller went on talking: the speculative reply is void
            r = self.current
            if r is not None and not r.cleared and r.confirmed.is_set() and r.kind in INTERRUPTIBLE:
                if r.heard < r.protect:
                    return  # the AI disclosure is not interruptible
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
        if (
            self.deferred_text
            and self.silence_frames * 20 >= self.turn.end_of_turn_silence_ms
            and not self._stt_pending(perf_counter())  # the words the caller went on with belong to this turn
        ):
            text, self.deferred_text = self.deferred_text, ""
            await self._caller_turn_ended(text)
        if self.partial:  # words heard, no end of speech yet: the STT gets a nudge, then a local deadline
            quiet_ms = self.silence_frames * 20
            if quiet_ms == self.turn.finalize_after_ms:
                self._finalize_stt()
            elif quiet_ms >= (self.turn.end_of_turn_fallback_ms if self.finals else self.turn.interim_fallback_ms):
                await self._force_end_of_turn()

    def _finalize_stt(self) -> None:
        """VAD says the caller stopped and words are pending: ask the STT to flush them (Deepgram `Finalize`).

        A final that answers it ends the turn (it is the STT's end of speech for this utterance); without one,
        `end_of_turn_fallback_ms` of silence ends the turn anyway. Source: Deepgram, "Finalize" control message,
        https://developers.deepgram.com/docs/finalize
        """
        stream = self.stt_stream
        finalize = getattr(stream, "finalize", None)
        if finalize is None or self.closed or self.finalize_sent:
            return
        self.finalize_sent = True
        self.metrics.finalizes += 1
        self._spawn(self._quietly(asyncio.wait_for(finalize(), timeout=self.turn.end_of_turn_fallback_ms / 1000)),
                    "stt")

    async def _force_end_of_turn(self) -> None:
        """The STT's end of speech did not come in time: what it heard (finals, else the interim) is the turn."""
        if not self.finals and self.partial:
            self.finals = [self.partial]
            self.promoted = words_of(self.partial)  # its final may still come: that must not be a second turn
        if self.finals:
            self.metrics.forced_turn_ends += 1
        text = " ".join([self.deferred_text, *self.finals]).strip()
        self.finals, self.partial, self.deferred_text = [], "", ""
        self.finalize_sent = False
        if text:
            await self._caller_turn_ended(text)

    def _without_promoted(self, text: str, is_final: bool) -> str:
        """A transcript of words already taken as a turn by `_force_end_of_turn`, minus those words."""
        promoted = self.promoted
        if is_final:
            self.promoted = []
        heard = words_of(text)
        if heard[: len(promoted)] != promoted[: len(heard)]:
            self.promoted = []
            return text
        return " ".join(text.split()[len(promoted) :])

    async def _stt_loop(self) -> None:
        async for event in self.stt_stream.events():
            if isinstance(event, Transcript):
                if event.is_final:
                    self._stt_caught_up(event.end)
                if event.text and self._repeats_agent(event.text):
                    self.metrics.echo_transcripts += 1  # the agent's words transcribed from the echo
                    if event.is_final and event.speech_final and self.finals:
                        await self._end_of_speech()
                    continue
                if self.promoted and event.text:
                    event = replace(event, text=self._without_promoted(event.text, event.is_final))
                if event.text:
                    self.words_since_barge = True
                if event.is_final:
                    if event.text:
                        self.finals.append(event.text)
                    self.partial = " ".join(self.finals)
                else:
                    self.partial = " ".join([*self.finals, event.text]).strip()
                if self.observer is not None and event.text:
                    self.observer.caption("caller", self.partial, False)
                r = self.current
                if (  # a transcript without words (an end of speech after Finalize) is no caller speech
                    event.text and r is not None and not r.cleared and r.confirmed.is_set()
                    and r.kind in INTERRUPTIBLE and r.heard >= r.protect
                ):
                    speech_ms = (
                        (self.frames_in - self.utt_start_frame + 1) * 20 if self.utt_active else self.last_utt_ms
                    )
                    if should_interrupt(speech_ms, self.partial, self.turn):
                        await self._barge_in()
                if event.is_final and (event.speech_final or self.finalize_sent):
                    await self._end_of_speech()
                if event.is_final:
                    self._stt_heard.set()
            elif isinstance(event, UtteranceEnd):
                self._stt_caught_up(event.last_word_end)
                if self.finals:
                    await self._end_of_speech()
                self._stt_heard.set()
            elif isinstance(event, SpeechStarted):
                self.stt_speech_t, self.stt_speech_at = perf_counter(), event.timestamp
        if not self.ending and not self.closing:
            raise RuntimeError("speech-to-text stream ended during the call")

    async def _end_of_speech(self) -> None:
        text = " ".join(self.finals).strip()
        self.finals, self.partial = [], ""
        self.finalize_sent = False
        if not text:
            return
        text = (self.deferred_text + " " + text).strip()
        self.deferred_text = ""
        if (
            self.utt_active
            or self.silence_frames * 20 < self.turn.end_of_turn_silence_ms
            or self._stt_pending(perf_counter())  # the caller went on after a pause: those words are this turn's
        ):
            self.deferred_text = text
            return
        await self._caller_turn_ended(text)

    def _stt_caught_up(self, heard_until: float) -> None:
        """A final or end of utterance reaching the latest start of speech (on the STT's clock): nothing pending."""
        if heard_until >= self.stt_speech_at:
            self.stt_speech_t = 0.0

    def _stt_pending(self, now: float) -> bool:
        """The STT heard speech start and has not yet said what it was (a STT without interim results, such as
        Whisper, is silent until its final): words may still come, for at most STT_PENDING_S after the voice (or
        the stream's own `pending_words_s`)."""
        bound = getattr(self.stt_stream, "pending_words_s", STT_PENDING_S)
        return bool(self.stt_speech_t) and now - max(self.stt_speech_t, self.last_voice_t) < bound

    def _repeats_agent(self, text: str) -> bool:
        """Is this transcript the words the agent is speaking (or just spoke) coming back as echo?"""
        now = perf_counter()
        pieces = [piece for t, piece in self.recent_pieces if now - t < ECHO_TAIL_S]
        r = self.current
        if r is not None and not r.cleared and r.frames_sent and r.segments:  # playing, not a speculation
            pieces[:0] = r.segments[max(0, r.heard - 1) :]
        agent = words_of(" ".join(pieces))
        if now - self.last_agent_end_t < ECHO_TAIL_S:
            agent += self.last_agent_words
        return bool(agent) and repeats_agent(text, agent)

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
        phrase = self._opt_out_heard(text)
        timing = {"heard_text": text, "started_ms": start_ms, "ended_ms": end_ms, "stt_ms": stt_ms}
        if phrase:
            timing["opt_out_phrase"] = phrase
        if agent_talking and not phrase and is_backchannel(text):
            self.metrics.backchannels += 1
            self._save_turn("caller", text, **timing)
            return
        if agent_talking and not phrase and r.kind == "opening" and self.last_voice_t < (r.t_trigger or 0.0):
            # a late transcript (a slow STT, or one replayed after a failover) of words said before the opening
            # began: the greeting the opening answers, not a turn to answer again
            self._save_turn("caller", text, **timing)
            self.history.append({"role": "user", "content": text})
            self.caller_spoke = True
            return
        hold = agent_talking and not self.closing and self._disclosure_playing(r)
        if agent_talking and not self.closing and not hold:
            await self._barge_in()
        self._save_turn("caller", text, **timing)
        self.caller_spoke = True
        self.silence_since = now
        self.reprompted = False
        if hold:  # the AI disclosure is heard first; then the caller's turn is answered
            self._hold_turn(text, phrase)
            return
        self._answer(text, phrase, now)

    def _answer(self, text: str, phrase: str, now: float) -> None:
        """The agent's reply to a caller turn (or none, when the call is past conversation)."""
        if self.mode != "conversation" or self.ending or self.failing or self.time_up or self.closing:
            # no new reply: it would take the apology's generation and cut it short
            self.history.append({"role": "user", "content": text})
            return
        if not self.opened and not phrase:
            self.history.append({"role": "user", "content": text})
            self._open()
            return
        self.opened = True
        spec = self.current
        if spec is not None and spec.speculative and not spec.confirmed.is_set():
            if same_words(spec.trigger, text) and not phrase:
                self.metrics.speculation_hits += 1
                self.history.append({"role": "user", "content": text})
                spec.t_final = now
                spec.confirmed.set()
                return
            self._cancel(spec)
        if phrase:  # the agent confirms and ends politely; the call ends after that reply, whatever it says
            self.history.append({"role": "system", "content": OPT_OUT_NOTE})
        self.history.append({"role": "user", "content": text})
        r = self._start_reply("llm", trigger=text)
        r.t_final = now
        if phrase:
            r.end_outcome = "opt_out"

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
            self._later(self.turn.false_interruption_s, self._maybe_resume, unheard, r.end_outcome)

    def _maybe_resume(self, unheard: list[str], end_outcome: str) -> None:
        if self.closing or self.ending or self.failing:
            return
        if self.words_since_barge or self.current is not None or self.utt_active:
            return
        if self._stt_pending(perf_counter()):  # the STT has not said yet whether that was words: ask again soon
            self._later(0.25, self._maybe_resume, unheard, end_outcome)
            return
        self.metrics.false_interruptions += 1
        r = self._start_reply("resume", preset=list(unheard))
        r.end_outcome = end_outcome

