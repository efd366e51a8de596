"""Free meeting slots of a campaign's reps, offered in the lead's own timezone."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from .models import Availability, Meeting, Rep

LEAD_HOURS = (dt.time(8), dt.time(19))  # never propose a meeting outside these local hours of the lead
MIN_NOTICE = dt.timedelta(hours=2)
HORIZON_DAYS = 10


@dataclass(frozen=True)
class Slot:
    rep_id: int
    rep_name: str
    start: dt.datetime  # aware, UTC
    end: dt.datetime

    def label(self, zone: ZoneInfo) -> str:
        local = self.start.astimezone(zone)
        hour = local.strftime("%I:%M %p").lstrip("0").replace(":00 ", " ")
        return f"{local:%A, %B} {local.day} at {hour}"

    def as_dict(self, zone: ZoneInfo) -> dict[str, object]:
        return {"rep_id": self.rep_id, "rep": self.rep_name, "start": self.start.isoformat(), "label": self.label(zone)}


def lead_zone(timezone_field: str, fallback: str = "UTC") -> ZoneInfo:
    name = (timezone_field or "").split(",")[0].strip() or fallback
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(fallback)


def free_slots(
    reps: list[Rep], zone: ZoneInfo, now: dt.datetime | None = None, count: int = 3, exclude: tuple = ()
) -> list[Slot]:
    """The earliest `count` free slots (distinct start times) across `reps`, inside the lead's daytime hours."""
    now = now or timezone.now()
    earliest = now + MIN_NOTICE
    horizon = now + dt.timedelta(days=HORIZON_DAYS)
    reps = [r for r in reps if r.active]
    if not reps:
        return []
    busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for rep_id, start, end in (
        Meeting.objects.filter(rep__in=reps, start__lt=horizon, end__gt=now)
        .exclude(status=Meeting.Status.CANCELED)
        .values_list("rep_id", "start", "end")
    ):
        busy.setdefault(rep_id, []).append((start, end))
    hours: dict[int, dict[int, list[tuple[dt.time, dt.time]]]] = {}
    for a in Availability.objects.filter(rep__in=reps):
        hours.setdefault(a.rep_id, {}).setdefault(a.weekday, []).append((a.start, a.end))

    candidates: list[Slot] = []
    for rep in reps:
        rep_zone = ZoneInfo(rep.timezone)
        length = dt.timedelta(minutes=rep.meeting_minutes)
        first_day = now.astimezone(rep_zone).date()
        for offset in range(HORIZON_DAYS + 1):
            day = first_day + dt.timedelta(days=offset)
            for start_t, end_t in hours.get(rep.pk, {}).get(day.weekday(), ()):
                at = dt.datetime.combine(day, start_t, rep_zone)
                stop = dt.datetime.combine(day, end_t, rep_zone)
                while at + length <= stop:
                    start, end = at.astimezone(dt.UTC), (at + length).astimezone(dt.UTC)
                    at += length
                    if start < earliest or start >= horizon or (rep.pk, start) in exclude:
                        continue
                    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
                    if not (
                        local_start.date() == local_end.date()
                        and LEAD_HOURS[0] <= local_start.time()
                        and local_end.time() <= LEAD_HOURS[1]
                    ):
                        continue
                    if any(s < end and start < e for s, e in busy.get(rep.pk, ())):
                        continue
                    candidates.append(Slot(rep.pk, str(rep), start, end))
    candidates.sort(key=lambda s: (s.start, s.rep_id))
    chosen: list[Slot] = []
    for slot in candidates:
        if all(slot.start != c.start for c in chosen):
            chosen.append(slot)
        if len(chosen) == count:
            break
    return chosen


def outside_hours(rep: Rep, start: dt.datetime, end: dt.datetime) -> str | None:
    """Why [start, end) is not inside one of the rep's weekly windows (in the rep's own timezone), or None if it is.

    `start`/`end` are aware datetimes in any zone. The sentence names the rep's hours that day, for the person
    or model choosing another time.
    """
    zone = ZoneInfo(rep.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    windows = sorted(
        (a.start, a.end) for a in Availability.objects.filter(rep=rep, weekday=local_start.weekday())
    )
    day = f"{local_start:%A}s"
    if not windows:
        return f"{rep} takes no meetings on {day} ({rep.timezone})."
    if local_start.date() == local_end.date() and any(
        s <= local_start.time() and local_end.time() <= e for s, e in windows
    ):
        return None
    hours = ", ".join(f"{s:%H:%M}–{e:%H:%M}" for s, e in windows)
    return (
        f"{rep} takes meetings on {day} {hours} ({rep.timezone}); "
        f"{local_start:%H:%M}–{local_end:%H:%M} is outside them."
    )
