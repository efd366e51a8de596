"""Template filters for the site's one way of writing times: `{{ t|when:user }}`, `{{ t|when:"America/Chicago" }}`,
`{{ t|clock:user }}`,
`{{ meeting|span:user }}`; and codes in words: `{{ code|outcome_label }}`, `{{ code|answered_by }}`,
`{{ attributes|shown }}`."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from crm.labels import answered_by_label, shown_attributes
from crm.models import Call
from crm.profiles import format_clock, format_span, format_when, zone_for, zone_or_none

register = template.Library()


def _zone(who) -> ZoneInfo:
    """`who` is a user (their zone), a zone name, a ZoneInfo, or empty (the request's active zone)."""
    if isinstance(who, ZoneInfo):
        return who
    if isinstance(who, str):
        return zone_or_none(who.split(",")[0]) or timezone.get_current_timezone()
    if who is None or who == "":
        return timezone.get_current_timezone()
    return getattr(who, "parley_zone", None) or zone_for(who)


@register.filter
def when(value: dt.datetime | None, who=None) -> str:
    """The date and time in `who`'s zone with its label: "Tue 1 Dec 2026, 10:00 EST"."""
    return format_when(value, _zone(who))


@register.filter
def clock(value: dt.datetime | None, who=None) -> str:
    """The time of day with seconds and zone label: "10:04:31 EST"."""
    return format_clock(value, _zone(who))


@register.filter
def span(meeting, who=None) -> str:
    """A meeting's start–end in `who`'s zone: "Tue 1 Dec 2026, 10:00–10:30 EST"."""
    return format_span(meeting.start, meeting.end, _zone(who))


@register.filter
def zone_name(who) -> str:
    """The IANA name of `who`'s zone ("America/New_York")."""
    return _zone(who).key


@register.filter
def outcome_label(code: str) -> str:
    """A call outcome code in words ("no_answer" -> "No answer")."""
    return dict(Call.Outcome.choices).get(code, code.replace("_", " ").capitalize() if code else "")


@register.filter
def answered_by(code: str | None) -> str:
    """Answering-machine detection's code in words ("machine_end_beep" -> "Machine (after the beep)")."""
    return answered_by_label(code)


@register.filter
def shown(attributes) -> list[tuple[str, object]]:
    """A lead's attributes that people may see (no rehearsal persona, no "_" keys) as (key, value) pairs in their
    stored order: `{% for key, value in lead.attributes|shown %}`."""
    return list(shown_attributes(attributes).items())
