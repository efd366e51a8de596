"""A call's turns as people read them: what the caller heard, what was cut off, and the qualification answers."""
from __future__ import annotations

from dataclasses import dataclass

from .models import Call, Turn


@dataclass(frozen=True)
class Line:
    turn: Turn
    heard: str
    cut: str  # generated but never heard: the caller interrupted before it played

    @property
    def speaker(self) -> str:
        return self.turn.speaker

    @property
    def interrupted(self) -> bool:
        return self.turn.interrupted

    @property
    def offset(self) -> str:
        """When the turn started, as m:ss from the start of the call."""
        seconds = self.turn.started_ms // 1000
        return f"{seconds // 60}:{seconds % 60:02d}"


def more_to_come(call: Call) -> bool:
    """Whether the call page should keep polling: the call is still active, or its voice session has started and
    not yet saved its last turns."""
    return call.is_active or bool(call.media_started_at and not call.media_ended_at)


def transcript_lines(turns: list[Turn]) -> list[Line]:
    return [_line(turn) for turn in turns]


def _line(turn: Turn) -> Line:
    if not (turn.speaker == Turn.Speaker.AGENT and turn.interrupted):
        return Line(turn, turn.text, "")
    heard = turn.heard_text
    cut = turn.text[len(heard) :] if turn.text.startswith(heard) else ""
    return Line(turn, heard.strip(), cut.strip())


@dataclass(frozen=True)
class Answer:
    field: str
    question: str
    answer: str


def qualification_answers(call: Call) -> list[Answer]:
    """Extracted answers in the script's question order; fields the script does not name come last."""
    extracted = call.extracted if isinstance(call.extracted, dict) else {}
    questions = call.script_version.qualification_questions if call.script_version_id else []
    asked = {q.get("field"): q.get("question", "") for q in questions if isinstance(q, dict)}
    answers = [Answer(f, q, _text(extracted.get(f))) for f, q in asked.items() if f in extracted]
    answers += [
        Answer(f, f.replace("_", " ").capitalize(), _text(v)) for f, v in extracted.items() if f not in asked
    ]
    return answers


def _text(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)
