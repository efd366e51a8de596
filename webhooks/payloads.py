"""The `data` of each webhook event, and the calls that emit them from the places where the change happens.

Shapes are the API's (docs/api.md): times ISO-8601 UTC, phone numbers E.164, a recording as a URL of the API that
needs a token (never a public file)."""
from __future__ import annotations

from django.conf import settings

from .events import emit


def recording_url(call) -> str | None:
    """Where an API client fetches the call's recording (token required), or None without one."""
    return f"{settings.PUBLIC_BASE_URL}/api/v1/calls/{call.pk}/recording" if call.recording else None


def call_data(call) -> dict:
    return {
        "id": call.pk,
        "campaign": call.campaign.slug,
        "lead_id": call.lead_id,
        "phone": str(call.lead.phone),
        "attempt": call.attempt,
        "status": call.status,
        "outcome": call.outcome,
        "answered_by": call.answered_by,
        "placed_at": call.placed_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
        "summary": call.summary,
        "extracted": call.extracted if isinstance(call.extracted, dict) else {},
        "callback_at": call.callback_at,
        "recording_url": recording_url(call),
        "error": call.error,
    }


def meeting_data(meeting) -> dict:
    return {
        "id": meeting.pk,
        "status": meeting.status,
        "start": meeting.start,
        "end": meeting.end,
        "rep": {"id": meeting.rep_id, "name": str(meeting.rep), "username": meeting.rep.user.get_username()},
        "lead_id": meeting.lead_id,
        "phone": str(meeting.lead.phone),
        "call_id": meeting.call_id,
        "campaign": meeting.campaign.slug if meeting.campaign_id else None,
        "notes": meeting.notes,
    }


def call_completed(call_id: int) -> None:
    """call.completed, for a call just finalized: its outcome is final. A call that had a conversation is summarised
    after it is finalized, so `summary_pending` says the summary (and any late extracted fields) are to be read
    from GET /api/v1/calls/{id} a little later."""
    from crm.models import Call

    def data() -> dict:
        call = Call.objects.select_related("campaign", "lead").get(pk=call_id)
        return {"call": call_data(call), "summary_pending": bool(call.media_started_at and not call.summary)}

    emit("call.completed", data)


def meeting_event(event: str, meeting_id: int) -> None:
    """meeting.booked or meeting.updated for the meeting as it is now."""
    from crm.models import Meeting

    def data() -> dict:
        meeting = Meeting.objects.select_related("rep__user", "lead", "campaign").get(pk=meeting_id)
        return {"meeting": meeting_data(meeting)}

    emit(event, data)


def lead_opted_out(lead, entry, call=None) -> None:
    """lead.opted_out: the person asked not to be called; `entry` is the new do-not-call row."""
    emit(
        "lead.opted_out",
        {
            "lead": {"id": lead.pk, "phone": str(lead.phone), "first_name": lead.first_name,
                     "last_name": lead.last_name, "company": lead.company},
            "reason": entry.reason,
            "call_id": call.pk if call is not None else None,
        },
    )


def import_finished(lead_import) -> None:
    """import.finished: a lead file import ended, done or failed, with its counters."""
    emit(
        "import.finished",
        lambda: {
            "import": {
                "id": lead_import.pk,
                "campaign": lead_import.campaign.slug,
                "file": lead_import.original_name,
                "status": lead_import.status,
                "total_rows": lead_import.total_rows,
                "imported": lead_import.imported,
                "duplicates": lead_import.duplicates,
                "invalid": lead_import.invalid,
                "dnc": lead_import.dnc,
                "failure": lead_import.failure,
                "finished_at": lead_import.finished_at,
            }
        },
    )
