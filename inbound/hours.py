"""Business hours of a number, in its own zone."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from .models import PhoneNumber


def is_open(number: PhoneNumber, now: dt.datetime) -> bool:
    """True when `now` (aware) falls on one of the number's business days, opens_at <= local time < closes_at,
    in the number's zone."""
    local = now.astimezone(ZoneInfo(number.timezone))
    return local.weekday() in (number.business_days or []) and number.opens_at <= local.time() < number.closes_at


def hours_text(number: PhoneNumber) -> str:
    """"Mon-Fri 09:00-17:00 America/New_York" for prompts and pages."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    days = sorted(set(number.business_days or []))
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        span = f"{names[days[0]]}-{names[days[-1]]}"
    else:
        span = ",".join(names[d] for d in days) or "no days"
    return f"{span} {number.opens_at:%H:%M}-{number.closes_at:%H:%M} {number.timezone}"
