"""The scripted agent on an inbound call: the caller rang us, so it greets, finds out what they need and
handles it with the inbound tools — a demo request is qualified and booked (after asking an unknown caller's
name), a question goes to the knowledge base, a password reset or billing dispute becomes a ticket, a request
for a person is a warm transfer, a wrong number is let go. Everything else is the outbound scripted agent."""
from __future__ import annotations

import re
from typing import Any

from crm.optouts import detect
from voice.sim.agent import HUMAN, ScriptedAgent, _has

DEMO = ("demo", "see the product", "sign up", "buy", "interested in")
TICKET = {
    "account": ("password", "locked out", "log in", "login", "can't sign in", "reset"),
    "billing": ("refund", "charged twice", "invoice is wrong", "overcharged"),
    "technical": ("bug", "not working", "broken", "error"),
}
WRONG = ("wrong number", "pizza", "who is this for")
DONE = ("that's all", "that is all", "nothing else", "bye", "goodbye", "no thanks", "that's it")
ASK_NAME = "May I have your name, please?"
ANYTHING_ELSE = "Is there anything else I can help you with?"


def _name(text: str) -> tuple[str, str]:
    match = re.search(r"(?:name is|this is|i'm|i am|it's)\s+([A-Z][a-z]+)(?:\s+([A-Z][a-z]+))?", text)
    if match:
        return match.group(1), match.group(2) or ""
    words = [w for w in re.findall(r"[A-Z][a-z]+", text)]
    return (words[0], words[1] if len(words) > 1 else "") if words else ("", "")


class InboundScriptedAgent(ScriptedAgent):
    def _used(self, messages, name: str) -> bool:
        return any(n == name for n, _ in self._tool_results(messages))

    def _reply(self, text: str, messages, said) -> tuple[str, list]:
        low = text.lower()
        if detect(text) or _has(low, HUMAN):
            return super()._reply(text, messages, said)
        if _has(low, WRONG):
            business = self.context.campaign.get("business") or "us"
            return (
                f"No problem at all. This is {business}. Have a good day, goodbye!",
                [("end_call", {"outcome": "wrong_number", "reason": text})],
            )
        if said and said[-1].endswith(ASK_NAME):
            first, last = _name(text)
            if first:
                return f"Thanks, {first}.", [("save_caller_name", {"first_name": first, "last_name": last})]
        for category, words in TICKET.items():
            if _has(low, words):
                return "I can help with that.", [("create_ticket", {"category": category, "summary": text})]
        if _has(low, DEMO) and not self._proposal(messages):
            if not self.lead.get("first_name") and not self._used(messages, "save_caller_name"):
                return f"Happy to set that up. {ASK_NAME}", []
            question = self._next_question(said)
            return ("Happy to set that up. " + question, []) if question else super()._reply(text, messages, said)
        if _has(low, DONE) and not self._proposal(messages):
            outcome = "conversation"
            if self._used(messages, "create_ticket"):
                outcome = "ticket"
            elif any(n == "search_knowledge_base" and d.get("answers") for n, d in self._tool_results(messages)):
                outcome = "answered"
            first = self.lead.get("first_name")
            return (
                f"Thanks for calling{', ' + first if first else ''}. Goodbye!",
                [("end_call", {"outcome": outcome, "reason": text})],
            )
        return super()._reply(text, messages, said)

    def _after_tool(self, messages, said) -> tuple[str, list[Any]]:
        name, data = self._tool_results(messages)[-1]
        if name == "save_caller_name":
            question = self._next_question(said)
            if question:
                return question, []
            return "Let me check the calendar.", [("check_availability", {})]
        if name == "create_ticket":
            return (
                f"I've opened a ticket for our support team, and they'll follow up by email shortly. {ANYTHING_ELSE}",
                [],
            )
        if name == "search_knowledge_base" and not self._used_demo(messages):
            answers = data.get("answers") or []
            answer = answers[0] if answers else "I don't have that detail, but I can open a ticket for the team."
            return f"{answer} {ANYTHING_ELSE}", []
        if name == "transfer_to_rep" and data.get("transferring"):
            return f"Connecting you with {data.get('rep')} now. Please hold.", []
        return super()._after_tool(messages, said)

    def _used_demo(self, messages) -> bool:
        users = " ".join(str(m.get("content") or "") for m in messages if m.get("role") == "user").lower()
        return _has(users, DEMO)
