"""/api/v1/meetings: list, read, and change status or time, as the meeting page does (crm/meetings.py)."""
from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.errors import HttpError

from crm import meeting_changes
from crm import meetings as meeting_actions
from crm.access import meetings_visible_to

from . import outputs
from .schemas import Error, MeetingOut, MeetingPage, MeetingPatch, MeetingUpdated, id_param, limit_param, offset_param

router = Router(tags=["meetings"])
# The status a client asks for -> the meeting page's action.
STATUS_ACTIONS = {"confirmed": "confirm", "canceled": "cancel", "held": "held", "no_show": "no_show"}


@router.get("", response=MeetingPage, summary="List meetings")
def list_meetings(request: HttpRequest, status: str = "", campaign: str = "",
                  limit: int = limit_param(), offset: int = offset_param()):
    """Soonest first. A rep's token sees only that rep's meetings; managers and admins see all."""
    found = meetings_visible_to(request.user)
    if status:
        found = found.filter(status=status)
    if campaign:
        found = found.filter(campaign__slug=campaign)
    return outputs.page(found.order_by("start", "id"), limit, offset, outputs.meeting_data)


@router.get("/{int:meeting_id}", response={200: MeetingOut, 404: Error}, summary="Read a meeting")
def read_meeting(request: HttpRequest, meeting_id: int = id_param()):
    return outputs.meeting_data(get_object_or_404(meetings_visible_to(request.user), pk=meeting_id))


@router.patch("/{int:meeting_id}", response={200: MeetingUpdated, 400: Error, 404: Error, 409: Error},
              summary="Change a meeting's status or time")
def update_meeting(request: HttpRequest, payload: MeetingPatch, meeting_id: int = id_param()):
    """`status`: confirmed, canceled, held, no_show, or booked (reopens a canceled meeting); `start`: reschedule
    into a free slot inside the rep's hours (the lead is not told: the message says so). 409 when the slot is
    taken or the change is not allowed from the meeting's state."""
    meeting = get_object_or_404(meetings_visible_to(request.user), pk=meeting_id)
    if payload.status is None and payload.start is None:
        raise HttpError(400, "Send a status, a start, or both.")
    if payload.start is not None and payload.start.tzinfo is None:
        raise HttpError(400, "start needs a UTC offset, like 2026-12-01T15:00:00Z.")
    message = None
    try:
        # Through crm.meeting_changes, like the meeting page: the meeting's history names the token's user.
        if payload.status == "booked":
            meeting = meeting_changes.act(meeting, "reopen", user=request.user)
        elif payload.status is not None:
            meeting = meeting_changes.act(meeting, STATUS_ACTIONS[payload.status], user=request.user)
        if payload.start is not None:
            before, old_start = meeting.status, meeting.start
            moved = meeting_actions.reschedule(meeting, payload.start)
            meeting, message = moved.meeting, moved.message
            meeting_changes.record(meeting, meeting_changes.Kind.RESCHEDULED, user=request.user,
                                   from_status=before, old_start=old_start, new_start=meeting.start)
    except meeting_actions.MeetingError as exc:
        raise HttpError(409, str(exc)) from exc
    fresh = meetings_visible_to(request.user).get(pk=meeting.pk)
    return {"meeting": outputs.meeting_data(fresh), "message": message}
