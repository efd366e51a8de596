"""The rehearsal's post-call summary: a few sentences on what happened, written without a model.

The scripted agent (voice/sim/agent.py) says fixed phrases at each step (a booking confirmation, an opt-out
acknowledgement…), so the summary reads those and the caller's own words: what the call came to, what the caller
asked, and their answers to the script's qualification questions.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from crm.optouts import detect
from voice.sim.agent import NOT_INTERESTED, _has

THINKING = ("think about it", "not now", "not right now")
VOICEMAIL = ("voicemail", "leave a message", "after the tone", "after the beep")
GREETINGS = {"hello?", "hi?", "yes?", "hello, who is this?"}
_BOOKED = re.compile(r"all set with (?P<rep>.+?) on (?P<when>.+?)\.", re.IGNORECASE)
_TRANSFER = re.compile(r"connecting you with (?P<rep>.+?) now", re.IGNORECASE)


def _quote(text: str) -> str:
    return f"“{text.strip()}”"


def scripted_summary(
    lines: Sequence[tuple[str, str]], extracted: Mapping[str, str], fields: Sequence[Mapping[str, str]]
) -> str:
    """Two to four sentences for a rep: how the call ended, what the caller asked, their qualification answers.

    `lines` are (speaker, text) in order, speaker "agent"/"assistant" or "caller"/"user"; `extracted` maps a
    qualification field to the caller's answer; `fields` are the script's questions ({"field", "question"}).
    """
    agent = [t for who, t in lines if who in ("agent", "assistant") and t]
    caller = [t for who, t in lines if who in ("caller", "user") and t]
    if not caller:
        return "The caller did not say anything."
    sentences = [_how_it_ended(agent, caller)]
    questions = [t for t in caller if t.rstrip().endswith("?") and t.strip().lower() not in GREETINGS]
    if questions:
        sentences.append(f"They asked {' and '.join(_quote(q) for q in questions[:2])}.")
    answers = [
        f"{f.get('field', '').replace('_', ' ')}: {_quote(extracted[f['field']])}"
        for f in fields
        if f.get("field") in extracted
    ]
    if answers:
        sentences.append(f"Their answers: {'; '.join(answers)}.")
    return " ".join(sentences)


def _how_it_ended(agent: list[str], caller: list[str]) -> str:
    for text in reversed(agent):
        if booked := _BOOKED.search(text):
            return f"The caller booked a meeting with {booked['rep']} for {booked['when']}."
        if moved := _TRANSFER.search(text):
            return f"The caller asked for a person and was transferred to {moved['rep']}."
    if _has(caller[0], VOICEMAIL):
        left = "and the agent left the script's message" if agent else "and no message was left"
        return f"The call reached a voicemail greeting ({_quote(caller[0])}), {left}."
    if any(detect(t) for t in caller):
        return "The caller asked not to be called again, and the agent confirmed they will not be."
    if any(_has(t, NOT_INTERESTED) for t in caller):
        said = next(t for t in caller if _has(t, NOT_INTERESTED))
        return f"The caller said they were not interested ({_quote(said)})."
    if any(_has(t, THINKING) for t in caller):
        return "The caller listened and said they would think about it; no meeting was booked."
    return f"The caller spoke {len(caller)} time{'s' if len(caller) != 1 else ''} but no meeting was booked."
