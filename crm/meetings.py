"""What a rep does with a booked meeting: confirm, reschedule, cancel, mark held or no-show; and their agenda."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from webhooks import payloads as webhook_payloads

from .availability import outside_hours
from .models import Meeting, Rep
from .profiles import format_when

Status = Meeting.Status
LOCK_TIMEOUT_MS = 3000  # longest wait for another booking of the same rep to finish
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
    """Another meeting of the rep overlaps the slot."""


class SlotUnavailable(MeetingError):
    """The slot is not one availability would offer: in the past, or outside the rep's hours."""


def ensure_bookable(rep: Rep, start: dt.datetime, end: dt.datetime, *, now: dt.datetime | None = None,
                    moving: Meeting | None = None) -> None:
    """Raise unless [start, end) is free for `rep`, inside the rep's hours and in the future.

    Call inside `transaction.atomic()`: the rep's row is locked first (a write on SQLite, which takes its
    database write lock) so two bookings for one rep check and write one after the other; on PostgreSQL the
    exclusion constraint `meeting_rep_no_overlap` is the final word. `moving` is a meeting being rescheduled
    (its own current time does not block it). Raises `SlotUnavailable` or `SlotTaken` with a sentence to show.
    """
    now = now or timezone.now()
    if start <= now:
        raise SlotUnavailable("That time is in the past. Pick a time in the future.")
    _lock_rep(rep)  # first statement of the transaction: on SQLite a later write could not wait, only fail
    reason = outside_hours(rep, start, end)
    if reason:
        raise SlotUnavailable(reason)
    clash = (
        Meeting.objects.filter(rep=rep, start__lt=end, end__gt=start)
        .exclude(status=Status.CANCELED)
        .exclude(pk=moving.pk if moving else None)
        .select_related("lead")
        .first()
    )
    if clash is not None:
        raise SlotTaken(_clash_message(rep, clash))


def _lock_rep(rep: Rep) -> None:
    """Serialise bookings of one rep: a row lock on PostgreSQL (waiting at most LOCK_TIMEOUT_MS, then SlotTaken),
    the database write lock on SQLite (waiting at most the connection's busy timeout)."""
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{int(LOCK_TIMEOUT_MS)}ms'")
            Rep.objects.select_for_update().filter(pk=rep.pk).first()
        else:
            Rep.objects.filter(pk=rep.pk).update(meeting_minutes=F("meeting_minutes"))
    except OperationalError as exc:  # lock not granted in time: another booking for this rep is stuck
        raise SlotTaken(f"{rep}'s calendar is being changed right now; pick another time or try again.") from exc


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
    webhook_payloads.meeting_event("meeting.updated", locked.pk)
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
        raise SlotTaken(_clash_message(meeting.rep, clash))
    try:
        with transaction.atomic():
            if Meeting.objects.filter(pk=meeting.pk, status=Status.CANCELED).update(status=Status.BOOKED):
                webhook_payloads.meeting_event("meeting.updated", meeting.pk)
    except IntegrityError as exc:
        raise SlotTaken(f"{meeting.rep} was just booked at that time; the meeting stays canceled.") from exc
    meeting.refresh_from_db()
    return meeting


@dataclass(frozen=True)
class Rescheduled:
    meeting: Meeting
    lead_told: bool  # Parley sends the lead nothing itself: always False until it does
    message: str  # what the rep reads, including whether the lead knows


def reschedule(meeting: Meeting, start: dt.datetime, now: dt.datetime | None = None) -> Rescheduled:
    """Move the meeting (same length) to `start` under the booking rule (`ensure_bookable`).

    Raises `MeetingError` (`SlotUnavailable`, `SlotTaken`) with the reason. The result says the lead has not
    been told: nothing is sent to them, so the rep must pass the new time on (the invite on the meeting page).
    """
    now = now or timezone.now()
    if meeting.status not in OPEN_STATUSES:
        raise MeetingError(f"A {meeting.get_status_display().lower()} meeting cannot be rescheduled.")
    end = start + (meeting.end - meeting.start)
    try:
        with transaction.atomic():
            ensure_bookable(meeting.rep, start, end, now=now, moving=meeting)
            Meeting.objects.filter(pk=meeting.pk).update(start=start, end=end, status=Status.RESCHEDULED)
            webhook_payloads.meeting_event("meeting.updated", meeting.pk)
    except IntegrityError as exc:  # another booking took the slot between our check and our write
        raise SlotTaken(f"{meeting.rep} was just booked at that time; pick another slot.") from exc
    meeting.refresh_from_db()
    when = format_when(meeting.start, ZoneInfo(meeting.rep.timezone))
    return Rescheduled(
        meeting,
        lead_told=False,
        message=f"Meeting moved to {when}. Note: the lead has not been told of the new time; "
        "send them the invite or call them.",
    )


def _clash_message(rep: Rep, clash: Meeting) -> str:
    when = format_when(clash.start, ZoneInfo(rep.timezone))
    who = clash.lead.full_name or "another lead"
    return f"{rep} already has a meeting with {who} at {when}; pick another time."


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
