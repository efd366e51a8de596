"""Why Parley would or would not dial: one number at one moment (`explain_number`, behind `dial_check`), or a
campaign right now (`explain_campaign`, behind the campaign page's dial status).

Both read the same rules the dialer applies: Parley's 08:00-21:00 local cap (dialer/windows.py), the
campaign's days and hours, jurisdiction rules with their citations (dialer/jurisdictions.py), the
do-not-call list, attempt caps, pending retries and one active call per person.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import phonenumbers
from django.db.models import Count, Min, Q
from phonenumbers import timezone as number_zones

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall, Lead

from . import heartbeat, jurisdictions, lawful, windows

PARLEY_CAP = "Parley's own cap: 08:00-21:00 local everywhere"


@dataclass(frozen=True)
class Reason:
    code: str  # legal_hours, jurisdiction_hours, jurisdiction_cap, campaign_window, do_not_call, ...
    message: str
    citation: str = ""


def _zones_of_number(number: phonenumbers.PhoneNumber) -> list[ZoneInfo]:
    names = [n for n in number_zones.time_zones_for_number(number) if n != "Etc/Unknown"]
    return [z for z in (windows._zone(n) for n in names) if z is not None]


def _hours_reason(zone: ZoneInfo, now: dt.datetime, code: str) -> Reason | None:
    local = now.astimezone(zone)
    if windows.LEGAL_START <= local.time().replace(tzinfo=None) < windows.LEGAL_END:
        return None
    citation = jurisdictions.FEDERAL_US if code.startswith("US-") else PARLEY_CAP
    return Reason("legal_hours", f"It is {local:%a %H:%M} in {zone.key}; calls only 08:00-21:00 local", citation)


def next_opening(campaign: Campaign, zone: ZoneInfo, now: dt.datetime) -> dt.datetime | None:
    """The next moment (aware, in `zone`) the campaign's window opens there; `now` if it is open now."""
    if windows.zone_inside(zone, campaign, now):
        return now.astimezone(zone)
    start, end = windows.effective_window(campaign)
    if start >= end:
        return None
    today = now.astimezone(zone).date()
    for days in range(8):
        day = today + dt.timedelta(days=days)
        if day.weekday() not in campaign.calling_days:
            continue
        opening = dt.datetime.combine(day, start, tzinfo=zone)
        if opening > now:
            return opening
    return None


def _campaign_window_reason(campaign: Campaign, zones: list[ZoneInfo], now: dt.datetime) -> Reason | None:
    closed = [z for z in zones if not windows.zone_inside(z, campaign, now)]
    if not closed:
        return None
    parts = []
    for zone in closed:
        opening = next_opening(campaign, zone, now)
        where = f" in {zone.key}"
        parts.append(f"opens at {opening:%H:%M} ({opening:%a %d %b}){where}" if opening else f"never opens{where}")
    start, end = windows.effective_window(campaign)
    return Reason("campaign_window", f"Outside the campaign's window {start:%H:%M}-{end:%H:%M}: " + "; ".join(parts))


def explain_number(phone: str, *, campaign: Campaign | None = None, at: dt.datetime | None = None) -> dict:
    """Would Parley dial `phone` (E.164) at `at` (aware; default now), in `campaign` if given?

    Returns {"number", "dial": bool, "jurisdiction": "US-FL" | "", "zones": [...], "local_time": ISO-8601
    in the first zone or "", "rules": [citations that apply], "reasons": [{"code", "message", "citation"}]}.
    """
    from django.utils import timezone

    now = at or timezone.now()
    reasons: list[Reason] = []
    try:
        number = phonenumbers.parse(phone, None)
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        number, valid = None, False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else phone
    if not valid:  # nothing else can be said of a number that does not exist: only this reason
        reason = Reason("invalid_number", f"{phone} is not a valid phone number")
        return {
            "number": e164, "campaign": campaign.slug if campaign else None,
            "at": now.astimezone(dt.UTC).isoformat(), "dial": False, "jurisdiction": "", "zones": [],
            "local_time": "", "rules": [], "reasons": [asdict(reason)],
        }  # fmt: skip
    lead = Lead.objects.filter(phone=e164).first()
    if lead is not None and lead.jurisdiction is not None:
        code = lead.jurisdiction
    else:
        code = jurisdictions.for_lead(e164, lead.attributes if lead else None)
    if lead is not None and (lead.timezone or campaign):
        zones = lawful.lead_zones(lead.timezone, campaign) if campaign else windows_zones(lead.timezone)
    else:
        zones = _zones_of_number(number) if number else []
    if not zones:
        reasons.append(Reason("unknown_timezone", "No timezone known for this number: it is never dialed"))
    for zone in zones:
        reason = _hours_reason(zone, now, code)
        if reason:
            reasons.append(reason)
            break
    rule = jurisdictions.rule_for(code)
    rules = [rule.describe()] if rule else []
    rules.append(jurisdictions.baseline_citation(code) if code else PARLEY_CAP)
    if rule:
        for zone in zones:
            local = now.astimezone(zone)
            if not rule.allows_local(local):
                window = rule.window_on(local.date())
                hours = "no calls that day" if window is None else f"calls {window[0]:%H:%M}-{window[1]:%H:%M} local"
                message = f"{rule.name}: {hours}; it is {local:%a %H:%M}"
                reasons.append(Reason("jurisdiction_hours", message, rule.citation))
                break
        if rule.max_calls_per_24h and lead is not None:
            recent = Call.objects.filter(lead=lead, placed_at__gt=now - lawful.DAY).count()
            if recent >= rule.max_calls_per_24h:
                reasons.append(Reason(
                    "jurisdiction_cap",
                    f"{rule.name}: at most {rule.max_calls_per_24h} calls per 24 h; {recent} placed",
                    rule.citation,
                ))  # fmt: skip
    if DoNotCall.objects.filter(phone=e164).exists():
        reasons.append(Reason("do_not_call", "The number is on the do-not-call list"))
    if lead is not None:
        active = Call.objects.filter(lead=lead, status__in=Call.ACTIVE_STATUSES, finalized_at__isnull=True)
        active = active.select_related("campaign").first()
        if active is not None:
            reasons.append(Reason("active_call", f"On call #{active.pk} ({active.source_label}) now"))
    if campaign is not None:
        reasons += _campaign_reasons(campaign, lead, zones, now)
    local_time = now.astimezone(zones[0]).isoformat() if zones else ""
    return {
        "number": e164,
        "campaign": campaign.slug if campaign else None,
        "at": now.astimezone(dt.UTC).isoformat(),
        "dial": not reasons,
        "jurisdiction": code,
        "zones": [z.key for z in zones],
        "local_time": local_time,
        "rules": rules,
        "reasons": [asdict(r) for r in reasons],
    }


def windows_zones(value: str) -> list[ZoneInfo]:
    return [z for z in (windows._zone(n) for n in value.split(",") if n.strip()) if z is not None]


def _campaign_reasons(campaign: Campaign, lead: Lead | None, zones: list[ZoneInfo], now: dt.datetime) -> list[Reason]:
    reasons = []
    if campaign.status != Campaign.Status.RUNNING:
        state = campaign.get_status_display().lower()
        reasons.append(Reason("campaign_status", f"Campaign {campaign.name} is {state}"))
    window = _campaign_window_reason(campaign, zones, now)
    if window:
        reasons.append(window)
    entry = CampaignLead.objects.filter(campaign=campaign, lead=lead).first() if lead else None
    if entry is None:
        reasons.append(Reason("not_in_campaign", f"The number is not a lead of campaign {campaign.name}"))
        return reasons
    if entry.attempts >= campaign.max_attempts:
        reasons.append(Reason("attempt_cap", f"All {campaign.max_attempts} attempts used"))
    elif entry.state not in CampaignLead.DIALABLE_STATES:
        reasons.append(Reason("lead_state", f"The lead is {entry.get_state_display().lower()} in this campaign"))
    if entry.next_attempt_at and entry.next_attempt_at > now:
        due = entry.next_attempt_at
        when = for_people(due, now, zones[0]) + f" ({for_people(due, now)})" if zones else for_people(due, now)
        reasons.append(Reason("retry_pending", f"Next attempt due at {when}"))
    return reasons


def explain_campaign(campaign: Campaign, now: dt.datetime | None = None) -> dict:
    """Why `campaign` is or is not dialing now.

    Returns {"dialing": bool (nothing holds it back), "reasons": [Reason as dict], "rules": [rule
    descriptions with citations for the hopper's jurisdictions], "heartbeat": ISO-8601 | None,
    "counts": {"dialable", "due" (due and dialable now: inside the window, allowed by the state rules),
    "due_outside_window", "due_held_by_law", "do_not_call", "exhausted", "waiting", "busy_elsewhere",
    "in_flight"}, "next_retry": ISO-8601 | None, "next_opening": ISO-8601 | None}.
    """
    from django.utils import timezone

    now = now or timezone.now()
    lawful.derive_missing(campaign.pk)  # leads imported since the last claim: idempotent, cheap when none
    reasons: list[Reason] = []
    if campaign.status != Campaign.Status.RUNNING:
        reasons.append(Reason("campaign_status", f"The campaign is {campaign.get_status_display().lower()}"))
    beat = heartbeat.last()
    if campaign.status == Campaign.Status.RUNNING and not heartbeat.alive(now):
        reasons.append(Reason("no_heartbeat", "No dialer heartbeat in the last minute: is the worker/beat running?"))
    values = windows.hopper_timezone_values(campaign, fresh=True)
    pairs = lawful.hopper_pairs(campaign, fresh=True)
    outside = windows.outside_values(campaign, now, values)
    rules, blocked = [], set()
    for zone_value, code in pairs:
        if not jurisdictions.allows(code, lawful.lead_zones(zone_value, campaign), now):
            blocked.add(code)
    for code in sorted({code for _, code in pairs}):
        rules.append(jurisdictions.RULES[code].describe())
    counts = _hopper_counts(campaign, now, outside, lawful.forbidden_now(campaign, now))
    opening = _next_opening_of(campaign, outside, now)
    if counts["due_outside_window"] and not counts["due"]:
        reasons.append(_outside_window_reason(campaign, counts["due_outside_window"], opening, now))
    for code in sorted(blocked):
        rule = jurisdictions.RULES[code]
        reasons.append(Reason("jurisdiction_hours", f"{rule.name} leads are held back now by state law", rule.citation))
    if campaign.status == Campaign.Status.RUNNING and counts["in_flight"] >= campaign.max_concurrency:
        reasons.append(Reason("at_capacity", f"All {campaign.max_concurrency} lines are busy"))
    if not counts["due"] and not counts["due_outside_window"] and not counts["due_held_by_law"]:
        parts = [f"{counts[k]} {label}" for k, label in (
            ("do_not_call", "on do-not-call"), ("exhausted", "out of attempts"),
            ("busy_elsewhere", "on a call in another campaign"), ("waiting", "waiting to retry"),
        ) if counts[k]]  # fmt: skip
        detail = "; ".join(parts) or "the hopper is empty"
        if counts["next_retry"]:
            detail += f" (next retry at {for_people(counts['next_retry'], now)})"
        reasons.append(Reason("no_due_leads", f"No lead is due: {detail}"))
    next_retry = counts.pop("next_retry")
    return {
        "dialing": not reasons,
        "reasons": [asdict(r) for r in reasons],
        "rules": rules,
        "heartbeat": beat.isoformat() if beat else None,
        "counts": counts,
        "next_retry": next_retry.isoformat() if next_retry else None,
        "next_opening": opening[0].isoformat() if opening else None,
    }


def _next_opening_of(
    campaign: Campaign, values: list[str], now: dt.datetime
) -> tuple[dt.datetime, ZoneInfo] | None:
    """The soonest moment one of `values` (`Lead.timezone`, outside now) opens, with the zone it opens in.
    A value of several zones opens when the last of them does."""
    soonest = None
    for value in values:
        openings = [(next_opening(campaign, z, now), z) for z in lawful.lead_zones(value, campaign)]
        if not openings or any(o is None for o, _ in openings):
            continue
        latest = max(openings, key=lambda pair: pair[0])
        if soonest is None or latest[0] < soonest[0]:
            soonest = latest
    return soonest


def _outside_window_reason(
    campaign: Campaign, count: int, opening: tuple[dt.datetime, ZoneInfo] | None, now: dt.datetime
) -> Reason:
    leads = "1 lead is" if count == 1 else f"{count} leads are"
    their = "its" if count == 1 else "their"
    start, end = windows.effective_window(campaign)
    if opening is None:
        when = f"the campaign's days and hours {start:%H:%M}-{end:%H:%M} never open for them"
    else:
        at, zone = opening
        when = f"the next window opens at {at:%H:%M} ({at:%a %d %b}) in {zone.key} (in {_duration(at - now)})"
    return Reason("campaign_window", f"{leads} due but outside {their} calling window now; {when}")


def _duration(delta: dt.timedelta) -> str:
    """"2 h 10 min", "45 min", "3 d 4 h" for a person (rounded down to the minute)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def for_people(moment: dt.datetime, now: dt.datetime, zone: ZoneInfo | None = None) -> str:
    """`moment` as a person reads it: "12:46 UTC" today, "Tue 1 Dec 12:46 UTC" another day; in `zone`
    (its key instead of UTC) when given. JSON outputs keep ISO-8601; this is for messages only."""
    zone = zone or dt.UTC
    local = moment.astimezone(zone)
    label = "UTC" if zone is dt.UTC else zone.key
    day = "" if local.date() == now.astimezone(zone).date() else f"{local:%a} {local.day} {local:%b} "
    return f"{day}{local:%H:%M} {label}"


def _hopper_counts(campaign: Campaign, now: dt.datetime, outside: list[str], forbidden: Q | None) -> dict:
    from .claims import active_lead_ids

    hopper = CampaignLead.objects.filter(campaign=campaign)
    dialable = Q(state__in=CampaignLead.DIALABLE_STATES)
    spent = Q(attempts__gte=campaign.max_attempts)
    due = dialable & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) & ~spent
    on_dnc = Q(lead__phone__in=DoNotCall.objects.values("phone"))
    busy = Q(lead_id__in=active_lead_ids())
    due = due & ~on_dnc & ~busy
    off_hours = Q(lead__timezone__in=outside)
    held = forbidden if forbidden is not None else Q(pk__in=[])
    numbers = hopper.aggregate(
        dialable=Count("pk", filter=dialable),
        due=Count("pk", filter=due & ~off_hours & ~held),
        due_outside_window=Count("pk", filter=due & off_hours),
        due_held_by_law=Count("pk", filter=due & ~off_hours & held),
        do_not_call=Count("pk", filter=Q(state=CampaignLead.State.DO_NOT_CALL) | (dialable & on_dnc)),
        exhausted=Count("pk", filter=Q(state=CampaignLead.State.EXHAUSTED) | (dialable & spent)),
        waiting=Count("pk", filter=dialable & Q(next_attempt_at__gt=now)),
        busy_elsewhere=Count("pk", filter=dialable & busy),
        in_flight=Count("pk", filter=Q(state=CampaignLead.State.CLAIMED)),
        next_retry=Min("next_attempt_at", filter=dialable & Q(next_attempt_at__gt=now)),
    )  # fmt: skip
    return numbers
