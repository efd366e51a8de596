"""Changes to a meeting with their history: who made each (a rep on the meeting page, or the agent on a call),
on which call, from what to what. The agent's meeting tools (voice/meeting_tools.py) and the meeting page both
change meetings through here, so every change has its `MeetingChange` row.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from .meetings import change_status, reopen, reschedule
from .models import Call, Meeting, MeetingChange

Kind = MeetingChange.Kind
Status = Meeting.Status
# The meeting page's actions (crm/meetings.py ACTIONS, plus reopen) -> the history entry each writes.
KIND_OF_ACTION = {
    "confirm": Kind.CONFIRMED,
    "cancel": Kind.CANCELED,
    "held": Kind.HELD,
    "no_show": Kind.NO_SHOW,
    "reopen": Kind.REOPENED,
}
NEXT_STEPS = {
    "wants_rep": "Wants to talk to the rep",
    "send_information": "Send information or a proposal",
    "evaluating": "Evaluating; follow up later",
    "next_meeting": "Next meeting to be arranged",
    "not_interested": "Not interested",
    "other": "Other",
}


def record(
    meeting: Meeting, kind: str, *, call: Call | int | None = None, user=None, from_status: str = "",
    to_status: str = "", old_start: dt.datetime | None = None, new_start: dt.datetime | None = None,
    detail: str = "", related_meeting: Meeting | None = None,
) -> MeetingChange:
    """Append one history entry to `meeting` (`call` may be a Call or its id)."""
    return MeetingChange.objects.create(
        meeting=meeting,
        kind=kind,
        call_id=call.pk if isinstance(call, Call) else call,
        user=user if getattr(user, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=to_status or meeting.status,
        old_start=old_start,
        new_start=new_start,
        detail=detail[:2000],
        related_meeting=related_meeting,
    )


@transaction.atomic
def act(meeting: Meeting, action: str, *, call: Call | int | None = None, user=None, reason: str = "",
        now: dt.datetime | None = None) -> Meeting:
    """Confirm, cancel, mark held / no-show or reopen `meeting` (crm/meetings.py rules) and record who did it.

    Confirming a meeting that is already confirmed changes nothing and records nothing (a second "yes, I'll be
    there" on a call is not an error). Raises `MeetingError` with the sentence to show or say otherwise.
    """
    before = meeting.status
    if action == "confirm" and before == Status.CONFIRMED:
        return meeting
    changed = reopen(meeting, now) if action == "reopen" else change_status(meeting, action, now)
    record(changed, KIND_OF_ACTION[action], call=call, user=user, from_status=before, detail=reason)
    return changed


def move(meeting: Meeting, start: dt.datetime, *, call: Call | int | None = None, user=None,
         now: dt.datetime | None = None) -> Meeting:
    """Reschedule `meeting` to `start` (same rep, same length) under the booking rule and record it.

    Raises `MeetingError` (`SlotTaken`, `SlotUnavailable`) with the reason; nothing is recorded then."""
    before, old_start = meeting.status, meeting.start
    moved = reschedule(meeting, start, now).meeting
    record(moved, Kind.RESCHEDULED, call=call, user=user, from_status=before, old_start=old_start,
           new_start=moved.start)
    return moved


def note_next_step(meeting: Meeting, step: str, detail: str = "", *, call: Call | int | None = None,
                   related_meeting: Meeting | None = None) -> MeetingChange:
    """Record the next step agreed after a held meeting (`step` one of NEXT_STEPS, else "other")."""
    label = NEXT_STEPS.get(step, NEXT_STEPS["other"])
    text = f"{label}: {detail}" if detail else label
    kind = Kind.NEXT_MEETING if related_meeting is not None else Kind.NEXT_STEP
    return record(meeting, kind, call=call, from_status=meeting.status, detail=text, related_meeting=related_meeting)


def history(meeting: Meeting) -> list[MeetingChange]:
    """The meeting's changes, oldest first, with the call and the person behind each."""
    return list(meeting.changes.select_related("call", "user", "related_meeting"))
