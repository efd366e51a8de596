"""Safeguards beside the model: the deterministic opt-out net on every final caller turn, and the AI disclosure
of the opening, which the caller cannot talk over (their turn waits until it was heard) and whose hearing the call
records from the playback marks."""
from __future__ import annotations

import logging
import re
from time import perf_counter

from crm import optouts
from voice.session.state import Reply

log = logging.getLogger(__name__)

OPT_OUT_NOTE = (
    "The caller's next message asks not to be called again. Their number is already on the do-not-call list. "
    "Confirm that in one short, polite sentence and say goodbye; do not try to keep them on the line."
)
_DISCLOSURE = re.compile(
    r"\b(?:AI|A\.I\.|artificial intelligence|automated|virtual (?:assistant|agent)|robot|bot)\b", re.IGNORECASE
)


def disclosure_pieces(pieces: list[str]) -> int:
    """How many leading pieces of an opening must be heard for its AI disclosure to be heard: up to and including
    the first piece that says it is an AI/automated/virtual assistant; 0 when the opening does not say so.
    (Disclosure duties: e.g. California B&P Code §17941, FCC 24-17 on AI-generated voices in TCPA calls.)"""
    for i, piece in enumerate(pieces):
        if _DISCLOSURE.search(piece):
            return i + 1
    return 0


class Safeguards:
    """Mixed into CallSession."""

    def _opt_out_heard(self, text: str) -> str:
        """The opt-out phrase in a final caller turn ("" if none). On a match the number goes on the
        do-not-call list at once (awaited before the call's end is saved) and the outcome becomes opt_out."""
        try:
            phrase = optouts.detect(text) or ""
        except Exception:
            log.exception("call %s: the opt-out matcher failed on %r", self.call_id, text)
            return ""
        if phrase:
            self.outcome_hint = "opt_out"
            if not self.opted_out:
                self.opted_out = True
                log.info("call %s: opt-out heard (%r); number goes on the do-not-call list", self.call_id, phrase)
                self._save(self.records.record_spoken_opt_out, self.call_id, phrase)
        return phrase[:200]

    def _disclosure_playing(self, r: Reply | None) -> bool:
        """The agent is still speaking the opening's AI disclosure: the caller's speech does not cut it."""
        return r is not None and not r.cleared and r.heard < r.protect

    def _protect_disclosure(self, r: Reply, pieces: list[str]) -> None:
        self.opening_reply = r
        r.protect = disclosure_pieces(pieces)

    def _disclosure_heard(self) -> bool | None:
        r = self.opening_reply
        if r is None or r.gen < 0:
            return None
        return r.protect > 0 and r.heard >= r.protect

    def _hold_turn(self, text: str, phrase: str) -> None:
        """A caller turn that ended over the disclosure: answered once the disclosure was heard."""
        held = self.held_turn
        self.held_turn = ((held[0] + " " + text).strip() if held else text, phrase or (held[1] if held else ""))

    def _maybe_release_held_turn(self) -> None:
        if self.held_turn is not None and not self._disclosure_playing(self.current) and not self.closing:
            self._keep(self._release_held_turn())

    async def _release_held_turn(self) -> None:
        held, self.held_turn = self.held_turn, None
        if held is None or self.closing:
            return
        r = self.current
        if r is not None and not r.cleared and r.kind == "opening":
            await self._barge_in(resume=False)  # the caller spoke over the opening: the rest of it gives way
            self.barged_utterance = False
        self._answer(held[0], held[1], perf_counter())
