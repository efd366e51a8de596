"""The scripted agent: an `LLM` that follows the script version without a model, for rehearsals and the benchmark.

It reads the conversation the way a model would (the messages, including tool results) and streams exactly what
the OpenAI adapter streams: `TextDelta` chunks, then complete `ToolCall`s with the names and argument shapes of
`voice.tools.TOOL_SCHEMAS`. Flow: opening with AI disclosure, qualification questions, objection replies,
knowledge-base answers, proposing real rep slots (check_availability), booking (book_meeting, another offer when
a slot was taken), opt-out (record_opt_out), transfer, close (end_call).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from crm.optouts import detect
from voice.providers.base import CallContext, CallSummary, LLMEvent, TextDelta, ToolCall
from voice.sim.latency import EmulatedLatency

HUMAN = ("real person", "a human", "speak to someone", "talk to someone", "speak to a person", "talk to a person")
WHO = ("who is this", "who are you", "who's calling", "who is calling", "what is this about")
NOT_INTERESTED = ("not interested", "no thanks", "no thank you")
CALLBACK = ("call me back", "call back", "ring me back", "try me again", "call me later")
CLOSING = ("bye", "goodbye", "think about it", "not now", "not right now")
NEGATIVE_CHOICE = ("neither", "none of", "no ", "not ", "bye")
QUESTION_WORDS = ("how", "what", "do ", "does", "is ", "are ", "can", "which", "where", "when", "why")
ACCEPT = ("yes", "works", "sure", "okay", "ok ", "fine", "good", "first", "sounds", "perfect", "great", "that one")
ORDINALS = {"second": 1, "latter": 1, "two": 1, "2": 1, "third": 2, "three": 2}
_ids = itertools.count(1)


def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _has(text: str, phrases: tuple[str, ...]) -> bool:
    t = f" {text.lower()} "
    return any(p in t for p in phrases)


class ScriptedAgent:
    def __init__(self, context: CallContext, latency: EmulatedLatency) -> None:
        self.context = context
        self.latency = latency
        self.script = context.script or {}
        self.lead = context.lead or {}

    @classmethod
    def for_call(cls, context: CallContext) -> ScriptedAgent:
        if (context.campaign or {}).get("direction") == "inbound" and cls is ScriptedAgent:
            from voice.sim.inbound_agent import InboundScriptedAgent

            return InboundScriptedAgent(context, EmulatedLatency.current())
        if context.meeting and cls is ScriptedAgent:  # a reminder or follow-up call
            from voice.sim.meeting_agent import MeetingAgent  # a subclass of this one

            return MeetingAgent(context, EmulatedLatency.current())
        return cls(context, EmulatedLatency.current())

    async def stream(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> AsyncIterator[LLMEvent]:
        available = {t.get("function", {}).get("name") for t in tools}
        text, calls = self.plan(messages)
        calls = [(name, args) for name, args in calls if name in available]
        await asyncio.sleep(self.latency.llm_first_token_ms / 1000)
        for i, token in enumerate(_tokens(text)):
            if i and self.latency.llm_token_ms:
                await asyncio.sleep(self.latency.llm_token_ms / 1000)
            yield TextDelta(token)
        for name, args in calls:
            yield ToolCall(id=f"call_{next(_ids)}", name=name, arguments=args)

    # --- reading the conversation ---------------------------------------------------------------------
    def _fill(self, template: str) -> str:
        facts = {"first_name": "", "last_name": "", "company": "", **{k: v for k, v in self.lead.items() if v}}
        try:
            return template.format(**facts)
        except (KeyError, IndexError, ValueError):
            return template

    @staticmethod
    def _tool_results(messages: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        names: dict[str, str] = {}
        out: list[tuple[str, dict[str, Any]]] = []
        for m in messages:
            for call in m.get("tool_calls") or ():
                names[call["id"]] = call["function"]["name"]
            if m.get("role") == "tool":
                try:
                    data = json.loads(m.get("content") or "{}")
                except ValueError:
                    data = {}
                out.append((names.get(m.get("tool_call_id", ""), ""), data))
        return out

    def plan(self, messages: list[dict[str, Any]]) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
        said = [m.get("content") or "" for m in messages if m.get("role") == "assistant"]
        last = messages[-1] if messages else {"role": "system"}
        if not any(said) and last.get("role") != "tool":
            return self._fill(self.script.get("opening_line", "Hi, this is an AI assistant.")), []
        if last.get("role") == "tool":
            return self._after_tool(messages, said)
        if last.get("role") == "user":
            return self._reply(str(last.get("content") or ""), messages, said)
        return "", []

    def _after_tool(self, messages, said) -> tuple[str, list]:
        name, data = self._tool_results(messages)[-1]
        first = self.lead.get("first_name") or "there"
        if name == "check_availability":
            slots = data.get("slots") or []
            if len(slots) >= 2:
                return f"I can do {slots[0]['label']} or {slots[1]['label']}, your time. Which works better?", []
            if slots:
                return f"I can do {slots[0]['label']}, your time. Does that work?", []
            return (
                "Sorry, I couldn't find a free time soon. A rep will email you some options. Goodbye!",
                [("end_call", {"outcome": "conversation", "reason": "no free slots"})],
            )
        if name == "book_meeting":
            if data.get("booked"):
                return (
                    f"You're all set with {data.get('rep')} on {data.get('label')}. You'll get an invite by email. "
                    f"Thanks {first}, have a great day!",
                    [("end_call", {"outcome": "booked", "reason": "meeting booked"})],
                )
            alternatives = data.get("alternatives") or []
            if alternatives:
                return f"Sorry, that time was just taken. How about {alternatives[0]['label']} instead?", []
            return (
                "Sorry, that time was just taken and nothing else is free soon. A rep will email you. Goodbye!",
                [("end_call", {"outcome": "conversation", "reason": "no alternative slot"})],
            )
        if name == "schedule_callback":
            if data.get("scheduled"):
                return (
                    f"Sure, I'll call you back on {data.get('label')}, your time. Talk then, goodbye!",
                    [("end_call", {"outcome": "callback", "reason": "callback scheduled"})],
                )
            if data.get("nearest"):
                return f"Sorry, I can't call then. {data.get('reason')} How about {data.get('nearest_label')}?", []
            return (
                f"Sorry, I can't schedule that. {data.get('reason')} A colleague will follow up by email. Goodbye!",
                [("end_call", {"outcome": "conversation", "reason": "callback not possible"})],
            )
        if name == "record_opt_out":
            return (
                "Understood. I've removed your number and we won't call you again. Sorry for the bother, goodbye.",
                [("end_call", {"outcome": "opt_out", "reason": "asked not to be called"})],
            )
        if name == "search_knowledge_base":
            answers = data.get("answers") or []
            answer = answers[0] if answers else "I don't have that detail, but the rep can cover it."
            return f"{answer} {self._unanswered(said) or self._next_step(said)}", []
        if name == "transfer_to_rep":
            if data.get("transferring"):
                return f"Sure, connecting you with {data.get('rep')} now.", []
            return "Sorry, no one can take the call right now. Shall I book you a time instead?", []
        return self._next_step(said), []

    def _next_step(self, said: list[str]) -> str:
        pending = self._next_question(said)
        if pending:
            return pending
        return "Shall I find a time with one of our reps?"

    def _unanswered(self, said: list[str]) -> str:
        """The question the caller answered with a question of their own: asked again after the answer."""
        last = next((s for s in reversed(said) if s), "")
        for q in self.script.get("qualification_questions") or ():
            if q["question"] in last:
                return "So, " + q["question"][0].lower() + q["question"][1:]
        return ""

    def _next_question(self, said: list[str]) -> str:
        for q in self.script.get("qualification_questions") or ():
            if not any(q["question"] in s for s in said):
                return q["question"]
        return ""

    def _callback_offer(self, messages) -> str:
        """The nearest allowed callback time offered after the caller's time was refused, if that was last."""
        results = self._tool_results(messages)
        if results and results[-1][0] == "schedule_callback" and not results[-1][1].get("scheduled"):
            return str(results[-1][1].get("nearest") or "")
        return ""

    def _proposal(self, messages) -> list[dict[str, Any]]:
        """Slots offered and not yet booked: the last availability, or the alternatives to a taken slot."""
        for name, data in reversed(self._tool_results(messages)):
            if name == "book_meeting":
                return [] if data.get("booked") else list(data.get("alternatives") or [])
            if name == "check_availability":
                return list(data.get("slots") or [])
        return []

    def _reply(self, text: str, messages, said) -> tuple[str, list]:
        low = text.lower()
        first = self.lead.get("first_name") or "there"
        if detect(text):  # the same phrase net the live session uses (crm.optouts)
            return "Of course.", [("record_opt_out", {"reason": text})]
        if _has(low, HUMAN):
            return "Sure, one moment.", [("transfer_to_rep", {"reason": text})]
        offered_callback = self._callback_offer(messages)
        if offered_callback and _has(low, ACCEPT):
            return "Great.", [("schedule_callback", {"when": offered_callback})]
        if _has(low, CALLBACK):
            return "Of course, let me schedule that.", [("schedule_callback", {"when": text})]
        if _has(low, WHO):
            return "Sorry about that. " + self._fill(self.script.get("opening_line", "")), []
        kb_words = {w for e in self.script.get("knowledge_base") or () for w in str(e.get("question", "")).split()}
        asks = "?" in text or low.startswith(QUESTION_WORDS)
        if asks and set(re.findall(r"[a-z]+", low)) & kb_words:
            return "Good question.", [("search_knowledge_base", {"query": text})]
        offered = self._proposal(messages)
        if offered:
            if _has(low, NEGATIVE_CHOICE) and not _has(low, ("works", "good", "fine", "yes", "sure", "okay")):
                return (
                    "No problem. A rep will follow up by email. Thanks for your time, goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "declined the slots"})],
                )
            index = next((i for word, i in ORDINALS.items() if re.search(rf"\b{word}\b", low)), None)
            for i, slot in enumerate(offered):
                if slot["label"].split(",")[0].lower() in low and len({s["label"][:3] for s in offered}) > 1:
                    index = i
            if index is None and _has(low, ACCEPT):
                index = 0
            if index is None:
                if any("Which works better" in s or "Does that work" in s for s in said[-1:]):
                    labels = " or ".join(s["label"] for s in offered[:2])
                    return f"Sorry, which works better for you: {labels}?", []
                return (
                    "No problem. A rep will follow up by email. Thanks for your time, goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "no slot chosen"})],
                )
            slot = offered[min(index, len(offered) - 1)]
            return "Perfect, let me book that.", [("book_meeting", {"rep_id": slot["rep_id"], "start": slot["start"]})]
        notes = self.script.get("objection_notes") or {}
        not_interested = _has(low, NOT_INTERESTED) or low.strip(" .!") in ("no", "nope")
        if not_interested and notes.get("not interested") and not any(notes["not interested"] in s for s in said):
            return notes["not interested"], []
        if not_interested or _has(low, CLOSING):
            users = " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "user").lower()
            outcome = "not_interested" if _has(users, NOT_INTERESTED) else "conversation"
            return (
                f"Understood. Thanks for your time, {first}. Goodbye!",
                [("end_call", {"outcome": outcome, "reason": text})],
            )
        for key, reply in notes.items():
            if key != "not interested" and key in low and not any(reply in s for s in said):
                return reply, []
        question = self._next_question(said)
        asked_any = any(
            q["question"] in s for q in self.script.get("qualification_questions") or () for s in said
        )
        if question:
            return ("Got it, thanks. " if asked_any else "Great, thanks. ") + question, []
        return "Thanks, that's helpful. Let me check the calendar.", [("check_availability", {})]

    # --- after the call ---------------------------------------------------------------------------------
    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> CallSummary:
        lines = [
            (str(t.get("speaker") or t.get("role") or ""), str(t.get("text") or t.get("content") or ""))
            for t in transcript
        ]
        extracted: dict[str, Any] = {}
        for f in fields:
            for i, (who, text) in enumerate(lines):
                if who in ("agent", "assistant") and f.get("question", "\0") in text:
                    # The caller's next line that answers, not a question of their own (asked again after it).
                    answer = next(
                        (t for w, t in lines[i + 1 :] if w in ("caller", "user") and not t.rstrip().endswith("?")), ""
                    )
                    if answer:
                        extracted[f["field"]] = answer
                    break
        from voice.sim.summary import scripted_summary  # it reads this module's phrase lists

        return CallSummary(summary=scripted_summary(lines, extracted, fields), extracted=extracted)
