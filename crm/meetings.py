"""What a rep does with a booked meeting: confirm, reschedule, cancel, mark held or no-show; and their agenda."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Meeting
from .profiles import format_when

Status = Meeting.Status
OPEN_STATUSES = (Status.BOOKED, Status.CONFIRMED, Status.RESCHEDULED)
# Action name in the UI -> the status it sets.
ACTIONS = {
    "confirm": Status.CONFIRMED,
    "cancel": Status.CANCELED,
    "held": Status.HELD,
    "no_show": Status.NO_SHOW,
}
ALLOWED_FROM = {
    Status.CONFIRMED: (Status.BOOKED, Status.RESCHEDULED),
    Status.CANCELED: OPEN_STATUSES,
    Status.HELD: OPEN_STATUSES,
    Status.NO_SHOW: OPEN_STATUSES,
}


class MeetingError(Exception):
    """The change is not allowed; the message says why in one sentence a rep understands."""


class SlotTaken(MeetingError):
    pass


def available_actions(meeting: Meeting, now: dt.datetime | None = None) -> list[str]:
    """The buttons the meeting page offers for a meeting in its current state."""
    now = now or timezone.now()
    if meeting.status == Status.CANCELED:
        return ["reopen"] if meeting.end > now else []
    if meeting.status not in OPEN_STATUSES:
        return []
    actions = ["confirm"] if meeting.status in ALLOWED_FROM[Status.CONFIRMED] else []
    actions += ["reschedule", "cancel"]
    if meeting.start <= now:
        actions += ["held", "no_show"]
    return actions


@transaction.atomic
def change_status(meeting: Meeting, action: str, now: dt.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    status = ACTIONS.get(action)
    if status is None:
        raise MeetingError(f"Unknown action “{action}”.")
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if locked.status not in ALLOWED_FROM[status]:
        raise MeetingError(f"A {locked.get_status_display().lower()} meeting cannot be marked {status.label.lower()}.")
    if status in (Status.HELD, Status.NO_SHOW) and locked.start > now:
        raise MeetingError("This meeting has not started yet, so it cannot be marked held or no-show.")
    locked.status = status
    locked.save(update_fields=["status"])
    return locked


def reopen(meeting: Meeting, now: dt.datetime | None = None) -> Meeting:
    """Undo a cancel: the meeting is booked again at its time, unless it is over or the rep's slot was taken since.

    Raises MeetingError (SlotTaken for a clash) with a sentence for the rep.
    """
    now = now or timezone.now()
    if meeting.status != Status.CANCELED:
        state = meeting.get_status_display().lower()
        raise MeetingError(f"Only a canceled meeting can be reopened; this one is {state}.")
    if meeting.end <= now:
        raise MeetingError("This meeting's time has passed, so it cannot be reopened; book a new one instead.")
    clash = (
        Meeting.objects.filter(rep=meeting.rep_id, start__lt=meeting.end, end__gt=meeting.start)
        .exclude(status=Status.CANCELED)
        .exclude(pk=meeting.pk)
        .select_related("lead")
        .first()
    )
    if clash is not None:
        raise SlotTaken(_clash_message(meeting, clash))
    try:
        with transaction.atomic():
            Meeting.objects.filter(pk=meeting.pk, status=Status.CANCELED).update(status=Status.BOOKED)
    except IntegrityError as exc:
        raise SlotTaken(f"{meeting.rep} was just booked at that time; the meeting stays canceled.") from exc
    meeting.refresh_from_db()
    return meeting


def reschedule(meeting: Meeting, start: dt.datetime, now: dt.datetime | None = None) -> Meeting:
    """Move the meeting (same length) to `start`, refusing any slot that overlaps another of the rep's meetings."""
    now = now or timezone.now()
    if meeting.status not in OPEN_STATUSES:
        raise MeetingError(f"A {meeting.get_status_display().lower()} meeting cannot be rescheduled.")
    if start <= now:
        raise MeetingError("Pick a time in the future.")
    end = start + (meeting.end - meeting.start)
    clash = (
        Meeting.objects.filter(rep=meeting.rep_id, start__lt=end, end__gt=start)
        .exclude(status=Status.CANCELED)
        .exclude(pk=meeting.pk)
        .select_related("lead")
        .first()
    )
    if clash is not None:
        raise SlotTaken(_clash_message(meeting, clash))
    try:
        with transaction.atomic():
            Meeting.objects.filter(pk=meeting.pk).update(start=start, end=end, status=Status.RESCHEDULED)
    except IntegrityError as exc:  # another booking took the slot between our check and our write
        raise SlotTaken(f"{meeting.rep} was just booked at that time; pick another slot.") from exc
    meeting.refresh_from_db()
    return meeting


def _clash_message(meeting: Meeting, clash: Meeting) -> str:
    when = format_when(clash.start, ZoneInfo(meeting.rep.timezone))
    who = clash.lead.full_name or "another lead"
    return f"{meeting.rep} already has a meeting with {who} at {when}; pick another time."


@dataclass(frozen=True)
class Group:
    title: str
    meetings: list[Meeting]


def agenda(meetings: list[Meeting], now: dt.datetime | None = None) -> list[Group]:
    """Upcoming meetings first (soonest first, by status), then past ones awaiting an outcome, then closed ones."""
    now = now or timezone.now()
    upcoming = sorted((m for m in meetings if m.status in OPEN_STATUSES and m.end >= now), key=lambda m: m.start)
    awaiting = sorted((m for m in meetings if m.status in OPEN_STATUSES and m.end < now), key=lambda m: m.start)
    closed = sorted((m for m in meetings if m.status not in OPEN_STATUSES), key=lambda m: m.start, reverse=True)
    groups = [
        Group(f"Upcoming · {status.label.lower()}", [m for m in upcoming if m.status == status])
        for status in (Status.BOOKED, Status.RESCHEDULED, Status.CONFIRMED)
    ]
    groups.append(Group("Past · mark held or no-show", awaiting))
    groups += [
        Group(status.label, [m for m in closed if m.status == status])
        for status in (Status.HELD, Status.NO_SHOW, Status.CANCELED)
    ]
    return [g for g in groups if g.meetings]
