"""The agent's tools on reminder and follow-up calls: about the meeting the call is about (campaigns/kinds.py).

Reminders: confirm the meeting, find free times with the same rep, reschedule to one of them (the booking rule:
`crm.meetings.ensure_bookable` — future, inside the rep's hours, free), cancel with a reason. Follow-ups: book the
next meeting with the same rep, transfer to the rep (or, when the rep has no phone, record that the lead wants
the rep), record the next step. Every change goes through `crm.meeting_changes`, so the meeting's history says it
was the agent, on this call. Like every tool they never raise past `voice.tools.run_tool_sync`: a refusal comes
back to the model as data (`rescheduled: false, reason, alternatives`) or as a `ToolError` sentence.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from campaigns.kinds import meeting_for_call, spoken_time
from campaigns.models import Campaign
from crm import meeting_changes
from crm.availability import free_slots, lead_zone
from crm.bookings import book_meeting as book
from crm.meetings import MeetingError, SlotTaken
from crm.models import Call, Meeting

Outcome = Call.Outcome


def _fn(name: str, description: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


_AFTER = {"after": {"type": "string", "description": "Optional ISO date (the lead's); only times on or after it."}}
_START = {"start": {"type": "string", "description": "start of the chosen time, ISO 8601 as rep_slots gave it"}}
MEETING_TOOL_SCHEMAS: list[dict[str, Any]] = [
    _fn("confirm_meeting", "The caller confirms they will attend the meeting: mark it confirmed.", {}, []),
    _fn(
        "rep_slots",
        "Free times with the meeting's rep, labelled in the caller's local time. Offer two of them.",
        _AFTER,
        [],
    ),
    _fn(
        "reschedule_meeting",
        "Move the meeting to a time from rep_slots. If it is refused, offer one of the alternatives it returns.",
        _START,
        ["start"],
    ),
    _fn(
        "cancel_meeting",
        "The caller cannot or will not attend and does not want another time: cancel the meeting.",
        {"reason": {"type": "string", "description": "why, in the caller's words"}},
        ["reason"],
    ),
    _fn(
        "book_next_meeting",
        "After a held meeting: book the next meeting with the same rep at a time from rep_slots.",
        _START,
        ["start"],
    ),
    _fn(
        "transfer_to_meeting_rep",
        "The caller wants to talk to the rep they met: transfer the call, or note it for the rep if they "
        "cannot take calls.",
        {"reason": {"type": "string"}},
        [],
    ),
    _fn(
        "record_next_step",
        "Record the next step the caller agreed to after the meeting.",
        {
            "step": {"type": "string", "enum": list(meeting_changes.NEXT_STEPS)},
            "detail": {"type": "string", "description": "one sentence in the caller's words"},
        },
        ["step"],
    ),
]
# The tools each kind of call is offered, besides the general ones in voice/tools.py.
KIND_TOOLS = {
    Campaign.Kind.REMINDER: ("confirm_meeting", "rep_slots", "reschedule_meeting", "cancel_meeting"),
    Campaign.Kind.FOLLOW_UP: (
        "search_knowledge_base", "rep_slots", "book_next_meeting", "transfer_to_meeting_rep", "record_next_step",
    ),
}  # fmt: skip
GENERAL_TOOLS = ("lookup_lead", "record_opt_out", "schedule_callback", "end_call")


def _result(data: dict[str, Any], **fields: Any):
    from voice.tools import ToolResult  # voice.tools registers these tools; imported here to stay acyclic

    return ToolResult(data, **fields)


def _meeting(ctx) -> Meeting:
    meeting = meeting_for_call(ctx.call_id)
    if meeting is None:
        from voice.tools import ToolError

        raise ToolError("this call is not about a meeting; these tools are for reminder and follow-up calls")
    return meeting


def _when(text: str, zone) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _slots(meeting: Meeting, zone, now: dt.datetime | None = None, count: int = 3, exclude=()) -> list[dict]:
    return [s.as_dict(zone) for s in free_slots([meeting.rep], zone, now=now, count=count, exclude=exclude)]


def confirm_meeting(ctx):
    meeting = _meeting(ctx)
    zone = lead_zone(meeting.lead.timezone)
    try:
        meeting_changes.act(meeting, "confirm", call=ctx.call_id)
    except MeetingError as exc:
        return _result({"confirmed": False, "reason": str(exc)})
    return _result(
        {"confirmed": True, "rep": str(meeting.rep), "label": spoken_time(meeting.start, zone)},
        outcome=Outcome.CONFIRMED,
    )


def rep_slots(ctx, after: str = ""):
    meeting = _meeting(ctx)
    zone = lead_zone(meeting.lead.timezone)
    now = None
    if after:
        day = _when(after[:10], zone)
        now = max(day, dt.datetime.now(dt.UTC)) if day else None
    return _result({"rep": str(meeting.rep), "timezone": str(zone), "slots": _slots(meeting, zone, now)})


def reschedule_meeting(ctx, start: str):
    meeting = _meeting(ctx)
    zone = lead_zone(meeting.lead.timezone)
    when = _when(start, zone)
    if when is None:
        return _result({"rescheduled": False, "reason": f"Unreadable start time {start!r}; use rep_slots."})
    try:
        moved = meeting_changes.move(meeting, when, call=ctx.call_id)
    except MeetingError as exc:
        alternatives = _slots(meeting, zone, count=2, exclude=((meeting.rep_id, when.astimezone(dt.UTC)),))
        reason = "That time was just taken." if isinstance(exc, SlotTaken) else f"Not possible: {exc}"
        return _result({"rescheduled": False, "reason": reason, "alternatives": alternatives})
    return _result(
        {"rescheduled": True, "rep": str(moved.rep), "label": spoken_time(moved.start, zone)},
        outcome=Outcome.RESCHEDULED,
    )


def cancel_meeting(ctx, reason: str):
    meeting = _meeting(ctx)
    try:
        meeting_changes.act(meeting, "cancel", call=ctx.call_id, reason=reason)
    except MeetingError as exc:
        return _result({"canceled": False, "reason": str(exc)})
    return _result({"canceled": True, "rep": str(meeting.rep)}, outcome=Outcome.CANCELED)


def book_next_meeting(ctx, start: str):
    held = _meeting(ctx)
    zone = lead_zone(held.lead.timezone)
    when = _when(start, zone)
    if when is None:
        return _result({"booked": False, "reason": f"Unreadable start time {start!r}; use rep_slots."})
    call = Call.objects.get(pk=ctx.call_id)
    try:
        meeting = book(lead=held.lead, rep=held.rep, start=when, call=call, notes=f"Follow-up of meeting {held.pk}")
    except MeetingError as exc:
        alternatives = _slots(held, zone, count=2, exclude=((held.rep_id, when.astimezone(dt.UTC)),))
        reason = "That time was just taken." if isinstance(exc, SlotTaken) else f"Not bookable: {exc}"
        return _result({"booked": False, "reason": reason, "alternatives": alternatives})
    meeting_changes.note_next_step(held, "next_meeting", call=ctx.call_id, related_meeting=meeting,
                                   detail=spoken_time(meeting.start, zone))
    return _result(
        {"booked": True, "meeting_id": meeting.pk, "rep": str(held.rep), "label": spoken_time(meeting.start, zone)},
        outcome=Outcome.BOOKED,
    )


def transfer_to_meeting_rep(ctx, reason: str = ""):
    meeting = _meeting(ctx)
    rep = meeting.rep
    if rep.phone and rep.active:
        meeting_changes.record(meeting, meeting_changes.Kind.TRANSFER, call=ctx.call_id, detail=reason)
        return _result({"transferring": True, "rep": str(rep)}, transfer_to=str(rep.phone),
                       outcome=Outcome.TRANSFERRED)
    meeting_changes.note_next_step(meeting, "wants_rep", reason, call=ctx.call_id)
    return _result({
        "transferring": False, "recorded": True,
        "reason": f"{rep} cannot take calls now; it is noted on the meeting and {rep} will call back.",
    }, outcome=Outcome.NEXT_STEP)


def record_next_step(ctx, step: str, detail: str = ""):
    meeting = _meeting(ctx)
    meeting_changes.note_next_step(meeting, step, detail, call=ctx.call_id)
    return _result({"recorded": True, "step": step}, outcome=Outcome.NEXT_STEP)


MEETING_TOOLS = {
    "confirm_meeting": confirm_meeting,
    "rep_slots": rep_slots,
    "reschedule_meeting": reschedule_meeting,
    "cancel_meeting": cancel_meeting,
    "book_next_meeting": book_next_meeting,
    "transfer_to_meeting_rep": transfer_to_meeting_rep,
    "record_next_step": record_next_step,
}


def meeting_brief(meeting: dict[str, Any]) -> str:
    """The system prompt's part about the meeting (`CallContext.meeting`); "" when the call is not about one."""
    if not meeting:
        return ""
    facts = (
        f"This call is about the caller's meeting with {meeting['rep_name']} on {meeting['meeting_time']} "
        f"(their local time, {meeting['lead_timezone']}); it is {meeting['status']}."
    )
    if meeting.get("booking_summary"):
        booked = f" on {meeting['booked_on']}" if meeting.get("booked_on") else ""
        facts += f" When it was booked{booked}: {meeting['booking_summary']}"
    if meeting["kind"] == Campaign.Kind.REMINDER:
        rules = (
            "Remind them of it. If they will attend, confirm_meeting. If they want another time, rep_slots then "
            "reschedule_meeting (only times rep_slots gave; if refused, offer an alternative). If they cannot "
            "come and want no other time, cancel_meeting with their reason. If they do not remember it, say "
            "when it was booked and what it is about, then ask whether to keep it. end_call when done."
        )
    else:
        rules = (
            "The meeting was held: follow up. Answer questions with search_knowledge_base. If they are ready for "
            "the next step, rep_slots then book_next_meeting. transfer_to_meeting_rep if they want the rep. "
            "Always record_next_step with what was agreed (or not_interested). end_call when done."
        )
    return f"{facts}\n{rules} Call back number for them: {meeting['callback_number']}."
