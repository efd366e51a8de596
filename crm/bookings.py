"""Booking a meeting from a call: the database's no-double-booking constraint is the final word."""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from .meetings import SlotTaken
from .models import Call, Lead, Meeting, Rep


def book_meeting(
    *, lead: Lead, rep: Rep, start: dt.datetime, call: Call | None = None, notes: str = ""
) -> Meeting:
    """Create the meeting, or raise SlotTaken when the rep already has one at that start (another call won)."""
    end = start + dt.timedelta(minutes=rep.meeting_minutes)
    try:
        with transaction.atomic():
            return Meeting.objects.create(
                lead=lead,
                rep=rep,
                call=call,
                campaign_id=call.campaign_id if call else None,
                start=start,
                end=end,
                notes=notes,
            )
    except IntegrityError as exc:
        raise SlotTaken(f"{rep} was just booked at that time.") from exc
