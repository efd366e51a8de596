"""Booking a meeting from a call: only into a slot availability would offer (`crm.meetings.ensure_bookable`)."""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from webhooks import payloads as webhook_payloads

from .meetings import SlotTaken, ensure_bookable
from .models import Call, Lead, Meeting, Rep


def book_meeting(
    *, lead: Lead, rep: Rep, start: dt.datetime, call: Call | None = None, notes: str = "",
    now: dt.datetime | None = None,
) -> Meeting:
    """Create the meeting of `rep.meeting_minutes` from `start` (aware), checked and written in one transaction.

    Raises `SlotUnavailable` (in the past, outside the rep's hours) or `SlotTaken` (overlaps another of the
    rep's meetings; on PostgreSQL the exclusion constraint refuses what a racing transaction slipped past).
    """
    end = start + dt.timedelta(minutes=rep.meeting_minutes)
    try:
        with transaction.atomic():
            ensure_bookable(rep, start, end, now=now)
            meeting = Meeting.objects.create(
                lead=lead,
                rep=rep,
                call=call,
                campaign_id=call.campaign_id if call else None,
                start=start,
                end=end,
                notes=notes,
            )
            webhook_payloads.meeting_event("meeting.booked", meeting.pk)
            return meeting
    except IntegrityError as exc:
        raise SlotTaken(f"{rep} was just booked at that time.") from exc
