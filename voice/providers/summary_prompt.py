"""What the summarising model is asked and how its answer is read, shared by the LLM adapters' `summarize`:
the instructions, the transcript as text, the answer's JSON schema and the answer as a CallSummary. No database
here: voice/summaries.py reads the call and writes the result."""
from __future__ import annotations

from typing import Any

from .base import CallSummary

SUMMARY_INSTRUCTIONS = (
    "You summarise a sales call for the rep who follows up. Write two or three plain sentences: who was "
    "reached, what they said, what was agreed. Then fill each qualification field with the caller's own "
    "answer, or null when the caller never answered it. Do not invent answers."
)


def transcript_text(transcript: list[dict[str, str]]) -> str:
    """The transcript as the summarising model reads it: one `Agent: …` or `Caller: …` line a turn (who from
    `speaker` or a chat `role`, what from `text` or `content`); "(no one spoke)" for an empty one."""
    lines = "\n".join(f"{_speaker(turn)}: {turn.get('text') or turn.get('content') or ''}" for turn in transcript)
    return lines or "(no one spoke)"


def summary_schema(fields: list[dict[str, str]], *, closed: bool = False) -> dict[str, Any]:
    """The JSON schema of the model's answer: `summary` (a string) and `fields`, one required string-or-null
    property a qualification field (named by its `field`, described by its `question`). `closed` adds
    `additionalProperties: false` to both objects, which OpenAI's strict structured output demands.
    Raises KeyError when a field has no `field`."""
    field_props = {f["field"]: {"type": ["string", "null"], "description": f.get("question", f["field"])}
                   for f in fields}
    closing = {"additionalProperties": False} if closed else {}
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "Two or three sentences for the rep."},
            "fields": {"type": "object", "properties": field_props, "required": list(field_props)} | closing,
        },
        "required": ["summary", "fields"],
    } | closing


def summary_from(answer: dict[str, Any], fields: list[dict[str, str]]) -> CallSummary:
    """The model's answer (shaped by `summary_schema`) as a `CallSummary`; fields left null or empty are dropped.
    Raises KeyError, TypeError or AttributeError when the answer is not that shape."""
    answers = answer.get("fields") or {}
    return CallSummary(
        summary=str(answer["summary"]),
        extracted={key: answers[key] for key in dict.fromkeys(f["field"] for f in fields)
                   if answers.get(key) not in (None, "")},
    )


def _speaker(turn: dict[str, str]) -> str:
    who = (turn.get("speaker") or turn.get("role") or "").lower()
    return "Agent" if who in ("agent", "assistant") else "Caller"
