"""Post-call work: a short summary and the script's qualification answers, written to the Call for reps."""
from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync

from campaigns.scripts import script_fields
from crm.models import Call, Turn
from voice.providers.base import CallContext, CallSummary
from voice.providers.factory import provider_class
from voice.records import about_meeting

log = logging.getLogger(__name__)

SUMMARY_INSTRUCTIONS = (
    "You summarise a sales call for the rep who follows up. Write two or three plain sentences: who was "
    "reached, what they said, what was agreed. Then fill each qualification field with the caller's own "
    "answer, or null when the caller never answered it. Do not invent answers."
)


def call_transcript(call: Call) -> list[dict[str, str]]:
    """The conversation as the caller experienced it: interrupted agent turns keep only what was heard."""
    lines = []
    for turn in call.turns.order_by("index"):
        heard = turn.speaker == Turn.Speaker.AGENT and turn.interrupted
        text = turn.heard_text if heard else turn.text
        if text:
            lines.append({"speaker": turn.speaker, "text": text})
    return lines


def summarize_call(call_id: int) -> bool:
    """Ask the configured LLM for the summary and extracted fields; once per call, only when someone spoke.

    Raises the provider's ProviderError so the task can retry; returns True when it wrote the summary.
    """
    call = Call.objects.select_related("campaign", "script_version", "lead").filter(pk=call_id).first()
    if call is None or call.summary:
        return False
    transcript = call_transcript(call)
    if not any(line["speaker"] == Turn.Speaker.CALLER for line in transcript):
        return False
    version = call.script_version or (call.campaign.active_script_version if call.campaign_id else None)
    script = script_fields(version)
    context = CallContext(
        call_id=call.pk,
        call_sid=call.provider_sid or "",
        lead={"first_name": call.lead.first_name, "company": call.lead.company},
        script=script,
        campaign={"id": call.campaign_id, "slug": call.campaign.slug if call.campaign_id else "",
                  "name": call.source_label, "direction": call.direction},
    )
    about_meeting(call, context)  # a reminder or follow-up call: the meeting it was about
    llm = provider_class("llm").for_call(context)
    result = async_to_sync(llm.summarize)(transcript, list(script.get("qualification_questions") or []))
    wanted = {q.get("field") for q in script.get("qualification_questions") or ()}
    extracted = {k: v for k, v in result.extracted.items() if k in wanted and v not in (None, "")}
    updated = Call.objects.filter(pk=call_id, summary="").update(summary=result.summary.strip(), extracted=extracted)
    return bool(updated)


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
