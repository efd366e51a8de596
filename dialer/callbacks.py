"""Callbacks at the time the lead asked for: resolve it in the lead's zone, check it, set the next attempt.

`schedule_callback` is the domain of the agent's `schedule_callback` tool (registered in voice/tools.py).
The requested time, a local date/time in the lead's words ("tomorrow at three", "Monday 10:30am") or
ISO 8601 (naive = the lead's local time), must fall inside the campaign's window and days, the lead's
jurisdiction rule (hours, N calls per 24 h) and leave an attempt; if not, the answer says why and gives
the nearest allowed time (15-minute steps, either side, never in the past). A scheduled callback is kept
on the call (`Call.callback_at`) and becomes the hopper row's next attempt when the call is finalized
(dialer/outcomes.py), instead of the campaign's 24 h callback retry.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, Lead

from . import jurisdictions, lawful, windows

MIN_NOTICE = dt.timedelta(minutes=5)
STEP = dt.timedelta(minutes=15)
SEARCH = dt.timedelta(days=14)
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "noon": 12, "midday": 12,
}  # fmt: skip
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_PARTS = {"morning": dt.time(10), "afternoon": dt.time(14), "evening": dt.time(18)}


def resolve(text: str, zone: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """A local date/time in words or ISO 8601 as an aware datetime in `zone`; None if not understood.

    Hours without am/pm are read as business hours: 1-7 -> afternoon (13-19), 8-12 as said."""
    text = (text or "").strip()
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is not None:
        return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    low = f" {text.lower()} "
    local_now = now.astimezone(zone)
    relative = re.search(r"\bin (\d+|an?|one|two|three) (hour|minute)s?\b", low)
    if relative:
        amount = relative.group(1)
        n = 1 if amount in ("a", "an") else _WORDS.get(amount) or int(amount)
        unit = dt.timedelta(hours=n) if relative.group(2) == "hour" else dt.timedelta(minutes=n)
        return local_now + unit
    clock = _clock(low)
    part = next((t for word, t in _PARTS.items() if word in low), None)
    if clock is None and part is None:
        return None
    at = clock or part
    day = None
    if "day after tomorrow" in low:
        day = local_now.date() + dt.timedelta(days=2)
    elif "tomorrow" in low:
        day = local_now.date() + dt.timedelta(days=1)
    elif "today" in low or "tonight" in low:
        day = local_now.date()
    else:
        for i, name in enumerate(_DAYS):
            if re.search(rf"\b{name}\b", low):
                ahead = (i - local_now.weekday()) % 7 or 7
                day = local_now.date() + dt.timedelta(days=ahead)
    if day is None:
        day = local_now.date()
        if dt.datetime.combine(day, at, tzinfo=zone) <= local_now:
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, at, tzinfo=zone)


def _clock(low: str) -> dt.time | None:
    match = re.search(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?|o'?clock)?(?=\W)", low)
    minute, meridiem = 0, ""
    if match and "/" not in match.group(0):
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "")
    else:
        words = re.search(r"\b(half past|quarter past|quarter to)?\s*\b(" + "|".join(_WORDS) + r")\b", low)
        if not words:
            return None
        hour = _WORDS[words.group(2)]
        lead_in = words.group(1) or ""
        minute = 30 if lead_in == "half past" else 15 if lead_in == "quarter past" else 0
        if lead_in == "quarter to":
            hour, minute = hour - 1, 45
        after = low[words.end() : words.end() + 6]
        meridiem = "pm" if "pm" in after or "p.m" in after else "am" if "am" in after or "a.m" in after else ""
    if hour > 23 or minute > 59:
        return None
    if meridiem.startswith("p") and hour < 12:
        hour += 12
    elif meridiem.startswith("a") and hour == 12:
        hour = 0
    elif not meridiem and 1 <= hour <= 7:
        hour += 12
    return dt.time(hour, minute)


class _Checker:
    """Whether a callback moment is allowed for one lead in one campaign (the recent calls read once)."""

    def __init__(self, lead: Lead, campaign: Campaign, entry: CampaignLead | None) -> None:
        self.lead, self.campaign, self.entry = lead, campaign, entry
        self.code = lead.jurisdiction if lead.jurisdiction is not None else jurisdictions.for_lead(
            str(lead.phone), lead.attributes
        )
        self.rule = jurisdictions.rule_for(self.code)
        self.zones = lawful.lead_zones(lead.timezone, campaign)
        self.placed = list(
            Call.objects.filter(lead=lead, placed_at__isnull=False).values_list("placed_at", flat=True)
        )

    def why_not(self, when: dt.datetime) -> str:
        """"" when allowed, else the reason (with the statute when a jurisdiction rule forbids it)."""
        if not self.zones or not windows.timezone_value_inside(self.lead.timezone, self.campaign, when):
            start, end = windows.effective_window(self.campaign)
            return f"outside the campaign's calling hours ({start:%H:%M}-{end:%H:%M} on calling days, local time)"
        if self.rule is not None:
            if not jurisdictions.allows(self.code, self.zones, when):
                return f"{self.rule.name} law forbids calls then ({self.rule.citation})"
            cap = self.rule.max_calls_per_24h
            if cap and sum(1 for p in self.placed if when - lawful.DAY < p <= when) >= cap:
                return f"{self.rule.name} allows at most {cap} calls per 24 h ({self.rule.citation})"
        return ""

    def nearest(self, when: dt.datetime, earliest: dt.datetime) -> dt.datetime | None:
        """The allowed moment closest to `when` (15-minute steps), not before `earliest`."""
        if when >= earliest and not self.why_not(when):
            return when
        for k in range(1, int(SEARCH / STEP)):
            for candidate in (when - k * STEP, when + k * STEP):
                if candidate >= earliest and not self.why_not(candidate):
                    return candidate
        return None


def _label(moment: dt.datetime) -> str:
    return f"{moment:%A %d %B} at " + moment.strftime("%I:%M %p").lstrip("0")


def schedule_callback(call_id: int, when_text: str, now: dt.datetime | None = None) -> dict:
    """Schedule the lead of `call_id` to be called back at `when_text` (lead's local time).

    Returns {"scheduled": bool, "when": ISO local | None, "label": str, "reason": str, "nearest": ISO local
    | None, "nearest_label": str}. On success `Call.callback_at` and the hopper row's `next_attempt_at` are
    set (UTC); nothing is written otherwise.
    """
    now = now or timezone.now()
    call = Call.objects.select_related("lead", "campaign", "campaign_lead").get(pk=call_id)
    lead, campaign, entry = call.lead, call.campaign, call.campaign_lead
    checker = _Checker(lead, campaign, entry)
    zone = checker.zones[0] if checker.zones else ZoneInfo("UTC")
    answer = {"scheduled": False, "when": None, "label": "", "reason": "", "nearest": None, "nearest_label": ""}
    if entry.attempts >= campaign.max_attempts:
        answer["reason"] = "No attempts are left for this lead in this campaign: a callback cannot be scheduled."
        return answer
    when = resolve(when_text, zone, now)
    if when is None:
        answer["reason"] = f"Could not understand {when_text!r} as a date and time; ask for a day and a time."
        return answer
    answer["when"], answer["label"] = when.isoformat(), _label(when)
    earliest = now + MIN_NOTICE
    reason = "that time has passed" if when < earliest else checker.why_not(when)
    if reason:
        answer["reason"] = f"Cannot call back {_label(when)}: {reason}."
        nearest = checker.nearest(max(when, earliest), earliest)
        if nearest is not None:
            nearest = nearest.astimezone(zone)
            answer["nearest"], answer["nearest_label"] = nearest.isoformat(), _label(nearest)
        return answer
    with transaction.atomic():
        Call.objects.filter(pk=call_id).update(callback_at=when)
        CampaignLead.objects.filter(pk=entry.pk).update(next_attempt_at=when, updated_at=now)
    answer["scheduled"] = True
    return answer


def tool(ctx, when: str = ""):
    """The agent's `schedule_callback` tool over `schedule_callback` (voice/tools.py registers it)."""
    from voice.tools import ToolResult

    if getattr(ctx, "direction", "outbound") == "inbound":
        from inbound.support import schedule_callback as inbound_callback

        return inbound_callback(ctx, when)
    result = schedule_callback(ctx.call_id, when)
    return ToolResult(result, outcome=Call.Outcome.CALLBACK if result["scheduled"] else "")
