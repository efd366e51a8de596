"""Post-call work: a short summary and the script's qualification answers, written to the Call for reps."""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync

from campaigns.scripts import script_fields
from crm.models import Call, Turn
from voice.providers.base import CallContext
from voice.providers.factory import provider_class
from voice.records import about_meeting

log = logging.getLogger(__name__)


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
