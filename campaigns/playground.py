"""A text chat with a script version, through the same LLM provider calls use (the scripted agent offline).

Read-only tools run for real (knowledge base, the reps' free slots); tools that would change something
(book, opt out, transfer, hang up) are answered as a dry run and shown as such: the playground never books.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured

from crm.models import Rep
from voice.providers.base import CallContext, TextDelta, ToolCall

from .models import ScriptVersion
from .scripts import script_fields

PLAYGROUND_LEAD = {
    "first_name": "Jamie",
    "last_name": "Rivera",
    "company": "Playground Ltd",
    "timezone": "America/New_York",
    "attributes": {},
}
MAX_TOOL_ROUNDS = 4
DRY_RUN_TOOLS = ("book_meeting", "record_opt_out", "transfer_to_rep", "end_call")


class PlaygroundUnavailable(Exception):
    """The configured language model cannot answer here; the message says why in one sentence."""


def context_for(version: ScriptVersion) -> CallContext:
    return CallContext(
        call_id=0,
        lead=dict(PLAYGROUND_LEAD),
        script=script_fields(version),
        campaign={"id": None, "slug": "playground", "name": "Playground", "max_call_seconds": 600},
    )


def system_message(version: ScriptVersion) -> dict[str, str]:
    """The script as a model reads it: instructions, questions, objection replies, knowledge base, lead facts."""
    parts = [version.instructions.strip(), f"Open with: {version.opening_line}"]
    if version.qualification_questions:
        questions = " | ".join(q.get("question", "") for q in version.qualification_questions)
        parts.append(f"Ask, one at a time: {questions}")
    if version.objection_notes:
        parts.append("Objections: " + " | ".join(f"{k} -> {v}" for k, v in version.objection_notes.items()))
    parts.append(f"The person: {json.dumps(PLAYGROUND_LEAD)}")
    return {"role": "system", "content": "\n\n".join(p for p in parts if p)}


def opening(version: ScriptVersion) -> dict[str, str]:
    """The agent's first words, as the callee would hear them."""
    try:
        text = version.opening_line.format(**PLAYGROUND_LEAD)
    except (KeyError, IndexError, ValueError):
        text = version.opening_line
    return {"role": "assistant", "content": text}


def _llm(version: ScriptVersion):
    from voice.providers import factory

    try:
        factory.check_provider_settings()
        provider = factory.provider_class("llm")
    except ImproperlyConfigured as exc:
        raise PlaygroundUnavailable(str(exc)) from exc
    except (ImportError, AttributeError) as exc:
        name = factory.chosen("llm")
        raise PlaygroundUnavailable(
            f"The {name} language model ({factory.PROVIDERS['llm'][name]}) is not installed in this build, "
            "so the playground cannot answer."
        ) from exc
    return provider.for_call(context_for(version))


def _tool_schemas() -> list[dict[str, Any]]:
    from voice.tools import schemas_for

    return schemas_for("outbound")  # the playground rehearses a campaign's (outbound) script


def run_tool(version: ScriptVersion, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """What the agent reads back from a tool: real for read-only tools, a labelled dry run for the others."""
    from crm.availability import free_slots, lead_zone
    from voice.tools import ToolError, validated

    try:  # the same argument check as on a live call, so the author sees what a call would do
        arguments = validated(name, arguments)
    except ToolError as exc:
        return {"error": str(exc)}
    zone = lead_zone(PLAYGROUND_LEAD["timezone"])
    if name == "search_knowledge_base":
        from voice.tools import ToolContext, search_knowledge_base

        context = ToolContext(0, 0, 0, knowledge_base=tuple(version.knowledge_base))
        return search_knowledge_base(context, str(arguments.get("query", ""))).data
    if name == "check_availability":
        reps = list(Rep.objects.filter(active=True).select_related("user"))
        return {"timezone": str(zone), "slots": [s.as_dict(zone) for s in free_slots(reps, zone, count=3)]}
    if name == "lookup_lead":
        return dict(PLAYGROUND_LEAD)
    if name == "book_meeting":
        return {"booked": True, "rep": _rep_name(arguments.get("rep_id")), "label": _label(arguments), "dry_run": True}
    if name == "record_opt_out":
        return {"recorded": True, "dry_run": True}
    if name == "transfer_to_rep":
        return {"transferring": True, "rep": "a rep", "dry_run": True}
    if name == "end_call":
        return {"ending": True, "dry_run": True}
    return {"error": f"unknown tool {name!r}"}


def _rep_name(rep_id: Any) -> str:
    rep = Rep.objects.select_related("user").filter(pk=rep_id).first() if str(rep_id).isdigit() else None
    return str(rep) if rep else "a rep"


def _label(arguments: dict[str, Any]) -> str:
    return str(arguments.get("start", "the chosen time"))


@dataclass
class Reply:
    messages: list[dict[str, Any]]  # to append to the history: assistant turns, tool calls and tool results
    ended: bool


async def _collect(llm, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[str, list[ToolCall]]:
    parts: list[str] = []
    calls: list[ToolCall] = []
    async for event in llm.stream(messages, tools):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, ToolCall):
            calls.append(event)
    return "".join(parts).strip(), calls


def chat_reply(version: ScriptVersion, history: list[dict[str, Any]]) -> Reply:
    """The agent's next reply to `history` (OpenAI-style messages), running its tool calls as described above."""
    llm = _llm(version)
    tools = _tool_schemas()
    added: list[dict[str, Any]] = []
    ended = False
    for _ in range(MAX_TOOL_ROUNDS):
        try:
            text, calls = async_to_sync(_collect)(llm, [system_message(version), *history, *added], tools)
        except Exception as exc:  # a vendor failure must read as one sentence, not a server error
            raise PlaygroundUnavailable(f"The language model failed to answer: {exc}") from exc
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                for c in calls
            ]
        added.append(message)
        for call in calls:
            result = run_tool(version, call.name, call.arguments)
            added.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})
            ended = ended or call.name == "end_call"
        if not calls or ended:
            break
    return Reply(added, ended)


def clean_history(items: Any) -> list[dict[str, Any]]:
    """The history posted back by the page, reduced to well-formed user/assistant/tool messages (never system)."""
    if not isinstance(items, list):
        return []
    cleaned: list[dict[str, Any]] = []
    for item in items[-60:]:
        if not isinstance(item, dict) or not isinstance(item.get("content", ""), str):
            continue
        role = item.get("role")
        if role == "user" or (role == "assistant" and "tool_calls" not in item):
            cleaned.append({"role": role, "content": item["content"]})
        elif role == "assistant" and _well_formed_calls(item["tool_calls"]):
            cleaned.append({"role": role, "content": item.get("content", ""), "tool_calls": item["tool_calls"]})
        elif role == "tool" and isinstance(item.get("tool_call_id"), str):
            cleaned.append({"role": role, "tool_call_id": item["tool_call_id"], "content": item["content"]})
    return cleaned


def _well_formed_calls(calls: Any) -> bool:
    return isinstance(calls, list) and all(
        isinstance(c, dict)
        and isinstance(c.get("id"), str)
        and isinstance(c.get("function"), dict)
        and isinstance(c["function"].get("name"), str)
        and isinstance(c["function"].get("arguments"), str)
        for c in calls
    )


@dataclass(frozen=True)
class Bubble:
    role: str
    text: str
    tools: list[str]


def transcript(history: list[dict[str, Any]]) -> list[Bubble]:
    """What the page shows: the spoken lines, with each tool the agent used listed under its line."""
    bubbles: list[Bubble] = []
    for m in history:
        if m["role"] == "tool":
            continue
        tools = []
        for call in m.get("tool_calls") or ():
            name = call["function"]["name"]
            note = " — dry run, nothing changed" if name in DRY_RUN_TOOLS else ""
            tools.append(f"{name}({call['function']['arguments']}){note}")
        if m["content"] or tools:
            bubbles.append(Bubble(m["role"], m["content"], tools))
    return bubbles
