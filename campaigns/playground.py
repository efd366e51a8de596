"""A text chat with a script version, through the same LLM provider calls use (scripted agent offline).

Tool calls the agent makes are shown, not executed: the playground never books or opts anyone out.
"""
from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured

from voice.providers.base import CallContext, TextDelta, ToolCall

from .models import ScriptVersion
from .scripts import VERSION_FIELDS

PLAYGROUND_LEAD = {
    "first_name": "Jamie",
    "last_name": "Rivera",
    "company": "Playground Ltd",
    "timezone": "America/New_York",
    "attributes": {},
}


class PlaygroundUnavailable(Exception):
    """The configured language model cannot answer here; the message says why in one sentence."""


def context_for(version: ScriptVersion) -> CallContext:
    return CallContext(
        call_id=0,
        lead=dict(PLAYGROUND_LEAD),
        script={name: getattr(version, name) for name in VERSION_FIELDS} | {"id": version.pk, "number": version.number},
        campaign={"id": None, "slug": "playground", "name": "Playground", "max_call_seconds": 600},
    )


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
        raise PlaygroundUnavailable(
            f"The {factory.chosen('llm')} language model is not installed in this build yet "
            f"({factory.PROVIDERS['llm'][factory.chosen('llm')]}), so the playground cannot answer."
        ) from exc
    return provider.for_call(context_for(version))


async def _collect(llm, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> tuple[str, list[dict]]:
    parts: list[str] = []
    calls: list[dict] = []
    async for event in llm.stream(messages, tools):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, ToolCall):
            calls.append({"name": event.name, "arguments": event.arguments})
    return "".join(parts).strip(), calls


def _tool_schemas() -> list[dict[str, Any]]:
    try:
        from voice import tools
    except ImportError:
        return []
    return list(getattr(tools, "TOOL_SCHEMAS", []))


def chat_reply(version: ScriptVersion, history: list[dict[str, Any]]) -> dict[str, Any]:
    """The agent's next reply to `history` (user/assistant messages), with any tool calls it asked for."""
    llm = _llm(version)
    messages = [{"role": m["role"], "content": m["content"]} for m in history]
    try:
        text, calls = async_to_sync(_collect)(llm, messages, _tool_schemas())
    except Exception as exc:  # a vendor failure must read as one sentence, not a 500
        raise PlaygroundUnavailable(f"The language model failed to answer: {exc}") from exc
    return {"role": "assistant", "content": text, "tools": calls}
