"""Meetings and calls as CSV for spreadsheets, every cell formula-neutralised."""
from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from .models import Call, Meeting
from .spreadsheet import stream_csv

MEETING_COLUMNS = (
    "meeting_id", "start_utc", "end_utc", "status", "rep", "lead_first_name", "lead_last_name", "company",
    "phone", "email", "campaign", "call_id", "summary", "notes",
)
CALL_COLUMNS = (
    "call_id", "created_utc", "campaign", "lead_first_name", "lead_last_name", "company", "phone", "attempt",
    "status", "outcome", "answered_by", "duration_seconds", "summary", "extracted", "error",
)


def _iso(value) -> str:
    return value.isoformat() if value else ""


def meetings_csv(meetings: QuerySet[Meeting]) -> Iterator[str]:
    rows = (
        (
            m.pk, _iso(m.start), _iso(m.end), m.get_status_display(), str(m.rep), m.lead.first_name,
            m.lead.last_name, m.lead.company, str(m.lead.phone), m.lead.email, m.campaign.name if m.campaign else "",
            m.call_id or "", m.call.summary if m.call else "", m.notes,
        )
        for m in meetings.select_related("lead", "rep__user", "campaign", "call").order_by("start", "id").iterator()
    )
    return stream_csv(MEETING_COLUMNS, rows)


def calls_csv(calls: QuerySet[Call]) -> Iterator[str]:
    rows = (
        (
            c.pk, _iso(c.created_at), c.source_label, c.lead.first_name, c.lead.last_name, c.lead.company,
            str(c.lead.phone), c.attempt, c.get_status_display(), c.get_outcome_display(), c.answered_by,
            c.duration_seconds if c.duration_seconds is not None else "", c.summary,
            "; ".join(f"{k}={v}" for k, v in (c.extracted or {}).items()), c.error,
        )
        for c in calls.select_related("lead", "campaign", "phone_number").iterator()
    )
    return stream_csv(CALL_COLUMNS, rows)
