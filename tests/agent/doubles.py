"""Language models that write tool arguments the way local models served by Ollama, vLLM or llama.cpp do."""
from __future__ import annotations

from voice.providers.base import ToolCall
from voice.sim.agent import ScriptedAgent


class SloppyLLM(ScriptedAgent):
    """The scripted agent, but integers arrive as strings of floats ("5.0") and its first question's query is null."""

    nulled_query = False

    async def stream(self, messages, tools):
        async for event in super().stream(messages, tools):
            if isinstance(event, ToolCall) and event.name == "book_meeting":
                event = ToolCall(event.id, event.name, {**event.arguments, "rep_id": f"{event.arguments['rep_id']}.0"})
            if isinstance(event, ToolCall) and event.name == "search_knowledge_base" and not self.nulled_query:
                type(self).nulled_query = True
                event = ToolCall(event.id, event.name, {"query": None})
            yield event
