"""/api/v1/calls: the call log with filters, one call with its turns, and its recording (same permission check)."""
from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router

from crm.access import calls_visible_to
from crm.recordings import recording_response

from . import outputs
from .schemas import MAX_ID, CallDetail, CallPage, Error, id_param, limit_param, offset_param

router = Router(tags=["calls"])


@router.get("", response=CallPage, summary="List calls")
def list_calls(request: HttpRequest, campaign: str = "", outcome: str = "", status: str = "",
               lead_id: int | None = Query(None, ge=1, le=MAX_ID), since: dt.date | None = None,
               until: dt.date | None = None,
               limit: int = limit_param(), offset: int = offset_param()):
    """Newest first. Reps see only the calls behind their own meetings; managers and admins see all.
    `since`/`until` are dates (UTC) the call was created on or after / on or before."""
    calls = calls_visible_to(request.user)
    if campaign:
        calls = calls.filter(campaign__slug=campaign)
    if outcome:
        calls = calls.filter(outcome=outcome)
    if status:
        calls = calls.filter(status=status)
    if lead_id is not None:
        calls = calls.filter(lead_id=lead_id)
    if since:
        calls = calls.filter(created_at__date__gte=since)
    if until:
        calls = calls.filter(created_at__date__lte=until)
    return outputs.page(calls.order_by("-created_at", "-id"), limit, offset, outputs.call_data)


@router.get("/{int:call_id}", response={200: CallDetail, 404: Error}, summary="Read a call with its turns")
def read_call(request: HttpRequest, call_id: int = id_param()):
    """Outcome, summary, extracted qualification answers, every turn (with what the caller heard) and the
    recording's URL (fetch it with the same token)."""
    call = get_object_or_404(calls_visible_to(request.user), pk=call_id)
    turns = [
        {"index": t.index, "speaker": t.speaker, "text": t.text, "heard_text": t.heard_text,
         "interrupted": t.interrupted, "started_ms": t.started_ms, "ended_ms": t.ended_ms, "v2v_ms": t.v2v_ms}
        for t in call.turns.order_by("index")
    ]
    meetings = list(call.meetings.order_by("id").values_list("id", flat=True))
    return {**outputs.call_data(call), "turns": turns, "meeting_ids": meetings}


@router.get("/{int:call_id}/recording", response={404: Error}, summary="Download a call's recording",
            openapi_extra={"responses": {200: {"description": "The audio (WAV); Range requests are honoured",
                                               "content": {"audio/wav": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}})
def call_recording(request: HttpRequest, call_id: int = id_param()):
    call = get_object_or_404(calls_visible_to(request.user), pk=call_id)
    if not call.recording:
        raise Http404("This call has no recording.")
    try:
        return recording_response(request, call.recording)
    except FileNotFoundError as exc:
        raise Http404("The recording file is missing.") from exc


