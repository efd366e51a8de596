"""Whose clock a page shows times on: the user's chosen zone, else their browser's, else their rep zone, else
the site's; and the one way the site writes a date and time.

The browser's zone arrives in the `tz` cookie that base.html sets from `Intl.DateTimeFormat()` (an IANA name).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from .models import Profile, Rep

BROWSER_ZONE_COOKIE = "tz"


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The IANA zone called `name`, or None for an empty or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_for(user, browser_zone: str = "") -> ZoneInfo:
    """The zone `user` reads times in: profile choice > their rep zone (set on "My hours") > browser zone >
    settings.TIME_ZONE."""
    if user is not None and user.is_authenticated:
        chosen = Profile.objects.filter(user=user).values_list("timezone", flat=True).first()
        zone = zone_or_none(chosen)
        if zone is None:
            zone = zone_or_none(Rep.objects.filter(user=user).values_list("timezone", flat=True).first())
        if zone is not None:
            return zone
    return zone_or_none(browser_zone) or ZoneInfo(settings.TIME_ZONE)


def zone_label(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A short zone label for `moment` in `zone`: the abbreviation ("EST", "CET") where the zone has one,
    else the UTC offset ("UTC+04")."""
    abbreviation = moment.astimezone(zone).tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    offset = moment.astimezone(zone).strftime("%z")
    return f"UTC{offset[:3]}{':' + offset[3:] if offset[3:] != '00' else ''}"


def format_when(moment: dt.datetime | None, zone: ZoneInfo, seconds: bool = False) -> str:
    """The site's one date format: "Tue 1 Dec 2026, 10:00 EST" (seconds on request); "" for None."""
    if moment is None:
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    local = moment.astimezone(zone)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %Y}, {clock} {zone_label(moment, zone)}"


def format_span(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> str:
    """A meeting's time in the site's format: "Tue 1 Dec 2026, 10:00–10:30 EST" (the end's date when it differs)."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    finish = f"{last:%H:%M}" if first.date() == last.date() else f"{last:%a} {last.day} {last:%b}, {last:%H:%M}"
    return f"{first:%a} {first.day} {first:%b %Y}, {first:%H:%M}–{finish} {zone_label(start, zone)}"


def format_clock(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    """Only the time of day with its zone, for timelines under a dated heading: "10:04:31 EST"."""
    if moment is None:
        return ""
    return f"{moment.astimezone(zone):%H:%M:%S} {zone_label(moment, zone)}"


class TimezoneMiddleware:
    """Activates the viewer's zone for the request and keeps it on `request.user.parley_zone` for templates."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = zone_for(user, request.COOKIES.get(BROWSER_ZONE_COOKIE, ""))
        if user is not None and user.is_authenticated:
            user.parley_zone = zone
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
