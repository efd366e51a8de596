"""Codes in words for every page: who answered a call (answering-machine detection), and which lead attributes a
person may see. Templates use them through the `parley` template filters; exports and views call them directly."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Twilio's AnsweredBy values (Answering Machine Detection: https://www.twilio.com/docs/voice/answering-machine-detection
# "AnsweredBy" — human, machine_start, machine_end_beep, machine_end_silence, machine_end_other, fax, unknown).
ANSWERED_BY = {
    "human": "Person",
    "machine_start": "Machine (greeting)",
    "machine_end_beep": "Machine (after the beep)",
    "machine_end_silence": "Machine (after the greeting, silence)",
    "machine_end_other": "Machine (after the greeting)",
    "fax": "Fax machine",
    "unknown": "Not detected",
}

# Lead attributes that steer the simulator or the system, never shown to reps or read to the lead: the rehearsal
# persona (voice/telephony/sim.py), and any key that starts with "_".
HIDDEN_ATTRIBUTES = frozenset({"persona"})


def answered_by_label(code: str | None) -> str:
    """Who picked up, in words: "machine_end_beep" -> "Machine (after the beep)"; "" -> ""; unknown codes readable."""
    if not code:
        return ""
    return ANSWERED_BY.get(code, code.replace("_", " ").capitalize())


def shown_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The lead's attributes a person may see (pages, exports, the agent's lead lookup), in their stored order."""
    return {k: v for k, v in (attributes or {}).items() if k not in HIDDEN_ATTRIBUTES and not str(k).startswith("_")}
