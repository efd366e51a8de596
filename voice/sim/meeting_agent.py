"""The scripted agent on reminder and follow-up calls (a call whose `CallContext.meeting` is set): the same
streaming contract as `ScriptedAgent`, with the meeting tools of voice/meeting_tools.py.

Reminder: the opening (from the script, meeting time filled in) asks whether the caller can still make it; "yes"
-> confirm_meeting; "another day/time" -> rep_slots after the meeting's day, then reschedule_meeting of the chosen
slot; "cancel" -> cancel_meeting with their words; "what meeting?" -> when it was booked and what about, then ask
again. Follow-up: questions -> search_knowledge_base then an offer of the next meeting; "next step / set up" ->
rep_slots then book_next_meeting; wants the rep -> transfer_to_meeting_rep; not interested / send a proposal ->
record_next_step. Every path ends with end_call and an outcome.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from crm.optouts import detect
from voice.providers.base import CallSummary
from voice.sim.agent import ACCEPT, CALLBACK, HUMAN, NEGATIVE_CHOICE, NOT_INTERESTED, ORDINALS, ScriptedAgent, _has

FORGOT = ("what meeting", "which meeting", "don't remember", "do not remember", "don't recall", "no idea what")
ANOTHER = ("another day", "another time", "different day", "different time", "reschedule", "move it", "later date")
CANCEL = ("cancel", "can't make it", "cannot make it", "won't make it", "won't be able")
CONFIRM = ("yes", "i'll be there", "i will be there", "keep it", "still on", "see you", "sure", "that's right")
READY = ("next step", "move forward", "set up", "next meeting", "another meeting", "ready")
SEND = ("send me", "proposal", "email me", "send over", "not yet")
BYE = ("bye", "goodbye", "that's all", "nothing else")
SLOT_TOOLS = ("rep_slots", "reschedule_meeting", "book_next_meeting")


class MeetingAgent(ScriptedAgent):
    @property
    def meeting(self) -> dict[str, Any]:
        return self.context.meeting or {}

    @property
    def reminder(self) -> bool:
        return self.meeting.get("kind") == "reminder"

    def _after_tool(self, messages, said) -> tuple[str, list]:
        name, data = self._tool_results(messages)[-1]
        rep = self.meeting.get("rep_name", "the rep")
        if name == "confirm_meeting":
            if data.get("confirmed"):
                return (f"Great, you're confirmed for {data.get('label')} with {data.get('rep')}. See you then, "
                        "goodbye!", [("end_call", {"outcome": "confirmed", "reason": "meeting confirmed"})])
            return (f"Sorry, I couldn't confirm it: {data.get('reason')} {rep} will be in touch. Goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "could not confirm"})])
        if name == "rep_slots":
            slots = data.get("slots") or []
            if len(slots) >= 2:
                return f"{rep} can do {slots[0]['label']} or {slots[1]['label']}, your time. Which works better?", []
            if slots:
                return f"{rep} can do {slots[0]['label']}, your time. Does that work?", []
            return (f"Sorry, {rep} has no free time soon; they will email you some options. Goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "no free slots"})])
        if name in ("reschedule_meeting", "book_next_meeting"):
            if data.get("rescheduled"):
                return (f"Done: your meeting with {data.get('rep')} is now {data.get('label')}. You'll get an updated "
                        "invite. Goodbye!", [("end_call", {"outcome": "rescheduled", "reason": "meeting moved"})])
            if data.get("booked"):
                return (f"You're all set with {data.get('rep')} on {data.get('label')}. You'll get an invite by "
                        "email. Goodbye!", [("end_call", {"outcome": "booked", "reason": "next meeting booked"})])
            alternatives = data.get("alternatives") or []
            if alternatives:
                return f"Sorry, that time doesn't work. How about {alternatives[0]['label']} instead?", []
            return ("Sorry, that time doesn't work and nothing else is free soon. The rep will email you. Goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "no alternative slot"})])
        if name == "cancel_meeting":
            number = self.meeting.get("callback_number", "")
            return (f"I've canceled it and let {rep} know. If you change your mind, call us at {number}. Goodbye!",
                    [("end_call", {"outcome": "canceled", "reason": "meeting canceled"})])
        if name == "record_next_step":
            if data.get("step") == "not_interested":
                return ("Understood, I've noted that. Thanks for your time, goodbye!",
                        [("end_call", {"outcome": "not_interested", "reason": "not going ahead"})])
            return (f"Got it, I've noted that for {rep}. Thanks, goodbye!",
                    [("end_call", {"outcome": "next_step", "reason": "next step recorded"})])
        if name == "transfer_to_meeting_rep":
            if data.get("transferring"):
                return f"Sure, connecting you with {data.get('rep')} now.", []
            return (f"{rep} can't take calls right now; I've noted that you want to talk, and they'll call you back. "
                    "Goodbye!", [("end_call", {"outcome": "next_step", "reason": "wants the rep"})])
        if name == "search_knowledge_base":
            answers = data.get("answers") or []
            answer = answers[0] if answers else f"I don't have that detail, but {rep} can cover it."
            return f"{answer} Would you like to set up a next meeting with {rep}?", []
        return super()._after_tool(messages, said)

    def _proposal(self, messages) -> list[dict[str, Any]]:
        for name, data in reversed(self._tool_results(messages)):
            if name in SLOT_TOOLS:
                if data.get("rescheduled") or data.get("booked"):
                    return []
                return list(data.get("slots") or data.get("alternatives") or [])
        return []

    def _reply(self, text: str, messages, said) -> tuple[str, list]:
        low = text.lower()
        if detect(text):
            return "Of course.", [("record_opt_out", {"reason": text})]
        if _has(low, CALLBACK):
            return "Of course, let me schedule that.", [("schedule_callback", {"when": text})]
        offered = self._proposal(messages)
        if offered:
            return self._choose(low, offered, said)
        return self._about_reminder(text, low, said) if self.reminder else self._about_follow_up(text, low, said)

    def _choose(self, low: str, offered: list[dict[str, Any]], said) -> tuple[str, list]:
        if _has(low, NEGATIVE_CHOICE) and not _has(low, ("works", "good", "fine", "yes", "sure", "okay")):
            return ("No problem. The rep will email you some other times. Goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "declined the slots"})])
        index = next((i for word, i in ORDINALS.items() if re.search(rf"\b{word}\b", low)), None)
        if index is None and _has(low, ACCEPT):
            index = 0
        if index is None:
            labels = " or ".join(s["label"] for s in offered[:2])
            return f"Sorry, which works better for you: {labels}?", []
        slot = offered[min(index, len(offered) - 1)]
        tool = "reschedule_meeting" if self.reminder else "book_next_meeting"
        return "Perfect, one moment.", [(tool, {"start": slot["start"]})]

    def _about_reminder(self, text: str, low: str, said) -> tuple[str, list]:
        m = self.meeting
        if _has(low, FORGOT):
            booked = f"You booked it with us on {m['booked_on']}" if m.get("booked_on") else "You booked it with us"
            about = f"; my notes say: {m['booking_summary']}" if m.get("booking_summary") else "."
            return (f"{booked}{about} It's with {m['rep_name']} on {m['meeting_time']}, your time. "
                    "Would you like to keep it?"), []
        if _has(low, ANOTHER):
            after = (dt.date.fromisoformat(m["meeting_date"]) + dt.timedelta(days=1)).isoformat()
            return "Sure, let me check other days.", [("rep_slots", {"after": after})]
        if _has(low, CANCEL) or _has(low, NOT_INTERESTED):
            return "I understand.", [("cancel_meeting", {"reason": text})]
        if _has(low, CONFIRM) or _has(low, ACCEPT):
            return "Let me confirm that.", [("confirm_meeting", {})]
        if any("will you be able to make it" in s.lower() for s in said):
            return (f"No problem. {m['rep_name']} will follow up by email. Goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "no answer about the meeting"})])
        return f"Sorry, just to check: will you be able to make it on {m['meeting_time']}?", []

    def _about_follow_up(self, text: str, low: str, said) -> tuple[str, list]:
        m = self.meeting
        kb_words = {w for e in self.script.get("knowledge_base") or () for w in str(e.get("question", "")).split()}
        if ("?" in text or "how much" in low) and set(re.findall(r"[a-z]+", low)) & kb_words:
            return "Good question.", [("search_knowledge_base", {"query": text})]
        if _has(low, NOT_INTERESTED) or "not go ahead" in low:
            return "I understand.", [("record_next_step", {"step": "not_interested", "detail": text})]
        if _has(low, HUMAN) or m.get("rep_first_name", "\0").lower() in low:
            return "Sure, one moment.", [("transfer_to_meeting_rep", {"reason": text})]
        if _has(low, SEND):
            return "Of course.", [("record_next_step", {"step": "send_information", "detail": text})]
        if _has(low, READY) or _has(low, ("yes", "sure", "okay")):
            return "Great, let me check the calendar.", [("rep_slots", {})]
        if _has(low, BYE):
            return ("Thanks for your time, goodbye!",
                    [("end_call", {"outcome": "conversation", "reason": "nothing more"})])
        return f"Any questions after your meeting with {m.get('rep_name', 'us')}, or shall we set up the next step?", []

    async def summarize(self, transcript: list[dict[str, str]], fields: list[dict[str, str]]) -> CallSummary:
        lines = [(str(t.get("speaker") or t.get("role") or ""), str(t.get("text") or t.get("content") or ""))
                 for t in transcript]
        agent = " ".join(t for who, t in lines if who in ("agent", "assistant"))
        caller = [t for who, t in lines if who in ("caller", "user") and t]
        for phrase, what in (
            ("you're confirmed for", "The caller confirmed the meeting."),
            ("is now", "The caller moved the meeting to another time."),
            ("I've canceled it", "The caller canceled the meeting."),
            ("You're all set with", "The caller booked the next meeting."),
            ("noted that for", "A next step was noted for the rep."),
            ("I've noted that.", "The caller is not going ahead."),
        ):
            if phrase in agent:
                said = f" They said “{caller[1].strip()}”" if len(caller) > 1 else ""
                return CallSummary(summary=f"{what}{said}.".replace("..", "."), extracted={})
        return await super().summarize(transcript, fields)
