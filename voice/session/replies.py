"""The reply pipeline: a reply per generation, LLM stream -> SentenceSplitter -> TTS push, tool calls between
LLM rounds; canned lines and the opening go the same way with preset pieces."""
from __future__ import annotations

import asyncio
import json
import logging
from time import perf_counter
from typing import Any

from voice.meeting_tools import meeting_brief
from voice.providers.base import TextDelta, ToolCall
from voice.session.state import Reply
from voice.tools import ToolResult, run_tool
from voice.turns import SentenceSplitter

log = logging.getLogger(__name__)

TOOL_DEADLINE_S = 10.0  # a tool call's answer this soon, or the model hears that it did not finish


class ReplyPipeline:
    """Mixed into CallSession: what the agent says."""

    def _messages(self, pending_user: str = "") -> list[dict[str, Any]]:
        msgs = [{"role": "system", "content": self._system_prompt()}, *self.history]
        if pending_user:
            msgs.append({"role": "user", "content": pending_user})
        return msgs

    def _system_prompt(self) -> str:
        s, lead = self.info.script, self.context.lead
        parts = [str(s.get("instructions", ""))]
        who = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p) or "the lead"
        parts.append(
            f"You are on a live phone call with {who}"
            + (f" of {lead['company']}" if lead.get("company") else "")
            + f" (local timezone {lead.get('timezone') or 'unknown'}). Speak in short sentences; no lists or markup."
        )
        questions = [q.get("question", "") for q in s.get("qualification_questions") or ()]
        if questions:
            parts.append("Qualification questions, one at a time: " + " | ".join(questions))
        notes = s.get("objection_notes") or {}
        if notes:
            parts.append("Objection replies: " + " | ".join(f"{k}: {v}" for k, v in notes.items()))
        parts.append(
            meeting_brief(self.context.meeting)  # a reminder or follow-up call (voice/meeting_tools.py)
            or "Use check_availability before proposing meeting times and book_meeting to book one; if a slot was "
            "taken, offer another. Use search_knowledge_base for product questions, record_opt_out when asked not "
            "to be called again, transfer_to_rep when asked for a person, and end_call when the conversation is over."
        )
        return "\n".join(p for p in parts if p)

    def _start_reply(
        self, kind: str, trigger: str = "", speculative: bool = False, preset: list[str] | None = None
    ) -> Reply:
        if self.closing:  # nothing starts once the call is closing: no TTS reopened, no unheard paid speech
            return Reply(gen=-1, kind=kind, trigger=trigger, cleared=True, done=True)
        self.gen += 1
        r = Reply(gen=self.gen, kind=kind, trigger=trigger, speculative=speculative)
        if not speculative:
            r.confirmed.set()
        now = perf_counter()
        r.t_trigger = now
        if kind == "llm":
            r.t_end = self.last_voice_t
        self.current = r
        self.replies[r.gen] = r
        for old in [g for g in self.replies if g < r.gen - 3]:
            del self.replies[old]
        messages = self._messages(trigger if speculative else "") if preset is None else []
        r.task = self._spawn(self._run_reply(r, messages, preset), "reply")
        return r

    def _say(self, text: str, kind: str = "canned", end_outcome: str = "") -> Reply:
        splitter = SentenceSplitter(first_clause=True)
        pieces = splitter.feed(text + " ") + splitter.flush()
        r = self._start_reply(kind, preset=pieces)
        r.end_outcome = end_outcome
        return r

    def _open(self) -> None:
        if self.opened:
            return
        self.opened = True
        lead = {k: v for k, v in self.context.lead.items() if isinstance(v, str) and v}
        template = str(self.info.script.get("opening_line") or "Hello, this is an AI assistant calling.")
        try:
            text = template.format(**{"first_name": "", "last_name": "", "company": "", **lead})
        except (KeyError, IndexError, ValueError):
            text = template
        text = " ".join(text.split())
        splitter = SentenceSplitter(first_clause=True)
        self._protect_disclosure(self._say(text, kind="opening"), splitter.feed(text + " ") + splitter.flush())

    async def _run_reply(self, r: Reply, messages: list[dict[str, Any]], preset: list[str] | None) -> None:
        try:
            tts = await self.providers.tts.open(self.voice)
        except Exception:
            self.tts_down = True
            raise
        r.tts = tts
        if r.gen != self.gen or self.closing:
            await tts.cancel()
            return
        r.pump = self._spawn(self._pump(r, tts), "tts")
        if preset is not None:
            for piece in preset:
                await self._push(r, tts, piece)
        else:
            await self._generate(r, tts, messages)
        if r.gen != self.gen:
            return
        await tts.end()
        await asyncio.shield(r.pump)  # cancelling the reply must not cancel the pump: it drops late audio

    async def _push(self, r: Reply, tts, piece: str) -> None:
        if r.gen != self.gen:
            return
        if r.t_ready is None:
            r.t_ready = perf_counter()
        r.segments.append(piece)
        if self.observer is not None:
            self.observer.caption("agent", r.text(), False)
        self.recent_pieces.append((perf_counter(), piece))  # what an echo of the agent may say shortly
        await tts.push(piece)
        if r.t_push is None:
            r.t_push = perf_counter()

    async def _generate(self, r: Reply, tts, messages: list[dict[str, Any]]) -> None:
        msgs = list(messages)
        for _round in range(6):
            splitter = SentenceSplitter(first_clause=not r.segments)
            calls: list[ToolCall] = []
            if r.t_llm is None:
                r.t_llm = perf_counter()
            stream = self.providers.llm.stream(msgs, self.tool_schemas)
            try:
                async for event in stream:
                    if r.gen != self.gen:
                        self.metrics.late_tokens_dropped += 1
                        return
                    if isinstance(event, TextDelta):
                        if r.t_token is None:
                            r.t_token = perf_counter()
                        for piece in splitter.feed(event.text):
                            await self._push(r, tts, piece)
                    elif isinstance(event, ToolCall):
                        if r.t_token is None:
                            r.t_token = perf_counter()
                        calls.append(event)
            finally:
                aclose = getattr(stream, "aclose", None)
                if aclose is not None:
                    await aclose()
            for piece in splitter.flush():
                await self._push(r, tts, piece)
            if not calls:
                return
            await r.confirmed.wait()  # a speculative reply never acts before the caller's turn is confirmed
            if r.gen != self.gen:
                return
            call_msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                    for c in calls
                ],
            }
            msgs.append(call_msg)
            self.history.append(call_msg)
            finished = False
            for c in calls:
                result = await self._run_tool(c)
                tool_msg = {"role": "tool", "tool_call_id": c.id, "content": json.dumps(result.data, default=str)}
                msgs.append(tool_msg)
                self.history.append(tool_msg)
                if result.outcome and self.outcome_hint not in ("booked", "opt_out"):
                    self.outcome_hint = result.outcome
                if result.end_outcome:
                    r.end_outcome, finished = result.end_outcome, True
                if result.transfer_to:
                    r.transfer_to = result.transfer_to
            if finished or r.gen != self.gen:
                return

    async def _run_tool(self, call: ToolCall) -> ToolResult:
        """Run one tool call with a deadline; a tool that raises or overruns comes back to the model as an error
        result it can recover from (the call never ends because of a tool)."""
        try:
            return await asyncio.wait_for(run_tool(self.tool_ctx, call.name, call.arguments), timeout=TOOL_DEADLINE_S)
        except TimeoutError:
            log.warning("call %s: tool %s did not finish within %.0f s", self.call_id, call.name, TOOL_DEADLINE_S)
            return ToolResult({"error": f"{call.name} did not finish in time; it may not have taken effect"})
        except Exception as exc:
            log.warning("call %s: tool %s failed: %r", self.call_id, call.name, exc)
            return ToolResult({"error": f"{call.name} failed ({type(exc).__name__}); try again or go on without it"})

    def _cancel(self, r: Reply) -> None:
        """Drop a reply that was never heard (speculation overtaken)."""
        if self.current is r:
            self.current = None
        r.cleared = True
        if r.gen == self.gen:
            self.gen += 1
        self._stop_reply(r)

    def _stop_reply(self, r: Reply) -> None:
        if r.task is not None and not r.task.done():
            r.task.cancel()
        if r.tts is not None:
            self._keep(self._quietly(r.tts.cancel()))
        if r.pump is not None and not r.pump.done():
            self._later(2.0, r.pump.cancel)  # late audio meanwhile is dropped by generation

