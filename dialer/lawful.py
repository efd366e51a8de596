"""Jurisdiction rules applied to claims (in SQL, like the zone windows) and again at dial time.

At claim: leads whose jurisdiction is not derived yet are derived first (`derive_missing`); then the
claim query excludes (jurisdiction, timezone) pairs whose rule forbids calling now, and leads of capped
jurisdictions that already had their N calls in the last 24 h (counted across every campaign: Parley
cannot tell one "subject matter" from another, so it counts them all). At dial: `dial_blocker` checks the
same for one lead.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, Lead

from . import jurisdictions, windows
from .known_values import KnownValues

DERIVE_BATCH = 5000
DAY = dt.timedelta(hours=24)


def derive_missing(campaign_id: int | None = None, limit: int = DERIVE_BATCH) -> int:
    """Set `Lead.jurisdiction` where it is NULL (for one campaign's dialable leads, or all). Returns count.

    Runs before every claim, so leads imported a moment ago are claimable on the next tick (claims skip leads
    whose jurisdiction is still NULL). Cheap when nothing is missing: `jurisdiction IS NULL` reads the
    column's index."""
    leads = Lead.objects.filter(jurisdiction__isnull=True)
    if campaign_id is not None:
        leads = leads.filter(
            campaign_entries__campaign_id=campaign_id, campaign_entries__state__in=CampaignLead.DIALABLE_STATES
        )
    rows = list(leads.order_by().values_list("pk", "phone", "attributes")[:limit])
    by_code: dict[str, list[int]] = defaultdict(list)
    for pk, phone, attributes in rows:
        by_code[jurisdictions.for_lead(str(phone), attributes)].append(pk)
    for code, ids in by_code.items():
        Lead.objects.filter(pk__in=ids, jurisdiction__isnull=True).update(jurisdiction=code)
    return len(rows)


def lead_zones(timezone_value: str, campaign: Campaign) -> list[ZoneInfo]:
    """The zones a `Lead.timezone` value stands for (the campaign's default when empty; unknown: none)."""
    names = [n.strip() for n in timezone_value.split(",") if n.strip()] or (
        [campaign.default_timezone] if campaign.default_timezone else []
    )
    return [z for z in (windows._zone(n) for n in names) if z is not None]


_pairs_cache: KnownValues[tuple[str, str]] = KnownValues()


def hopper_pairs(campaign: Campaign, *, fresh: bool = False) -> list[tuple[str, str]]:
    """Distinct (timezone, jurisdiction) among the campaign's dialable leads with a ruled jurisdiction, cached
    per process for DIALER_ZONE_CACHE_SECONDS (`fresh`: read now). Like the zone cache it only says which pairs
    are known: the claim judges a pair it has not seen row by row (`judge_unseen`)."""
    return _pairs_cache.get(
        campaign.pk,
        lambda: list(
            Lead.objects.filter(
                campaign_entries__campaign=campaign,
                campaign_entries__state__in=CampaignLead.DIALABLE_STATES,
                jurisdiction__in=list(jurisdictions.RULES),
            )
            .order_by()
            .values_list("timezone", "jurisdiction")
            .distinct()
        ),
        fresh=fresh,
    )


def note_pairs(campaign_id: int, pairs: set[tuple[str, str]]) -> None:
    """Add (timezone, jurisdiction) pairs a claim met that the cache had not seen."""
    _pairs_cache.add(campaign_id, pairs)


def forget_cached(campaign_id: int | None = None) -> None:
    """Drop the cached (timezone, jurisdiction) pairs of one campaign, or of every campaign (None)."""
    _pairs_cache.forget(campaign_id)


def forbidden_now(campaign: Campaign, now: dt.datetime) -> Q | None:
    """Q over `lead__…` matching leads whose jurisdiction's hours forbid a call at `now` (None: none do),
    over the pairs the cache knows; a pair it has not seen is judged row by row by the claim."""
    blocked: dict[str, list[str]] = defaultdict(list)
    for zone_value, code in hopper_pairs(campaign):
        if not jurisdictions.allows(code, lead_zones(zone_value, campaign), now):
            blocked[code].append(zone_value)
    q = None
    for code, zone_values in blocked.items():
        part = Q(lead__jurisdiction=code, lead__timezone__in=zone_values)
        q = part if q is None else q | part
    return q


def recent_calls(lead_ref: str, now: dt.datetime) -> Coalesce:
    """SQL: calls placed to the lead (`lead_ref`) in the 24 h before `now`, every campaign."""
    counted = (
        Call.objects.filter(lead_id=OuterRef(lead_ref), placed_at__gt=now - DAY)
        .order_by()
        .values("lead_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def capped_codes() -> dict[int, list[str]]:
    """Cap -> jurisdiction codes with that many calls per 24 h at most."""
    caps: dict[int, list[str]] = defaultdict(list)
    for code, rule in jurisdictions.RULES.items():
        if rule.max_calls_per_24h:
            caps[rule.max_calls_per_24h].append(code)
    return caps


def apply_to_claim(rows, campaign: Campaign, now: dt.datetime):
    """The claim queryset (CampaignLead rows) without leads a jurisdiction rule forbids calling now."""
    rows = rows.filter(lead__jurisdiction__isnull=False)
    forbidden = forbidden_now(campaign, now)
    if forbidden is not None:
        rows = rows.exclude(forbidden)
    for cap, codes in capped_codes().items():
        rows = rows.alias(recent_calls=recent_calls("lead_id", now)).exclude(
            lead__jurisdiction__in=codes, recent_calls__gte=cap
        )
    return rows


def dial_blocker(lead: Lead, campaign: Campaign, now: dt.datetime, *, exclude_call: int | None = None) -> str:
    """Why a jurisdiction rule forbids dialing `lead` at `now` ("" if none does); the citation included."""
    code = lead.jurisdiction or ""
    rule = jurisdictions.rule_for(code)
    if rule is None:
        return ""
    zones = lead_zones(lead.timezone, campaign)
    for zone in zones:
        local = now.astimezone(zone)
        if not rule.allows_local(local):
            window = rule.window_on(local.date())
            hours = "no calls that day" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"
            return f"{rule.name} allows calls {hours} local; it is {local:%a %H:%M} in {zone.key} ({rule.citation})"
    if rule.max_calls_per_24h:
        recent = Call.objects.filter(lead=lead, placed_at__gt=now - DAY)
        if exclude_call is not None:
            recent = recent.exclude(pk=exclude_call)
        count = recent.count()
        if count >= rule.max_calls_per_24h:
            return (
                f"{rule.name} allows at most {rule.max_calls_per_24h} calls per 24 h; "
                f"{count} already placed ({rule.citation})"
            )
    return ""
