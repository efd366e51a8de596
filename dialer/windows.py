"""Calling windows: which leads' local time is inside a campaign's days and hours right now.

The law caps every window at 08:00-21:00 local; a campaign may only narrow it. A lead whose number spans
several zones (comma-separated `Lead.timezone`) is inside only when every one of its zones is.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.models import Campaign, CampaignLead
from crm.models import Lead

from .known_values import KnownValues

log = logging.getLogger(__name__)

LEGAL_START = dt.time(8, 0)
LEGAL_END = dt.time(21, 0)


def effective_window(campaign: Campaign) -> tuple[dt.time, dt.time]:
    """The campaign's local window clamped to the legal one; start inclusive, end exclusive."""
    return max(campaign.window_start, LEGAL_START), min(campaign.window_end, LEGAL_END)


@lru_cache(maxsize=2048)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("Unknown timezone %r: leads in it are never dialed", name)
        return None


def zone_inside(zone: ZoneInfo, campaign: Campaign, now: dt.datetime) -> bool:
    local = now.astimezone(zone)
    start, end = effective_window(campaign)
    return local.weekday() in campaign.calling_days and start <= local.time().replace(tzinfo=None) < end


def timezone_value_inside(value: str, campaign: Campaign, now: dt.datetime) -> bool:
    """`value` is a `Lead.timezone`: one zone, several comma-separated (all must be inside), or empty."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        if not campaign.default_timezone:
            return False
        names = [campaign.default_timezone]
    for name in names:
        zone = _zone(name)
        if zone is None or not zone_inside(zone, campaign, now):
            return False
    return True


def inside_values(campaign: Campaign, now: dt.datetime, values: Iterable[str]) -> list[str]:
    return sorted(v for v in set(values) if timezone_value_inside(v, campaign, now))


def lead_inside(lead: Lead, campaign: Campaign, now: dt.datetime) -> bool:
    return timezone_value_inside(lead.timezone, campaign, now)


_values_cache: KnownValues[str] = KnownValues()


def hopper_timezone_values(campaign: Campaign, *, fresh: bool = False) -> list[str]:
    """Distinct `Lead.timezone` values among the campaign's dialable leads, cached per process for
    DIALER_ZONE_CACHE_SECONDS (`fresh`: read the database now and refresh the cache).

    The cache only says which values are *known*; it never decides alone that a lead may be dialed. The claim
    excludes known values outside the window in SQL and judges a value it has not seen yet row by row
    (`claims.claim_due_leads`), so a lead in a zone new to the hopper is claimable on the next tick.
    """
    return _values_cache.get(
        campaign.pk,
        lambda: list(
            Lead.objects.filter(
                campaign_entries__campaign=campaign, campaign_entries__state__in=CampaignLead.DIALABLE_STATES
            )
            .order_by()
            .values_list("timezone", flat=True)
            .distinct()
        ),
        fresh=fresh,
    )


def note_timezone_values(campaign_id: int, values: Iterable[str]) -> None:
    """Add values a claim met that the cache had not seen (so later claims exclude them in SQL if outside)."""
    _values_cache.add(campaign_id, values)


def outside_values(campaign: Campaign, now: dt.datetime, values: Iterable[str]) -> list[str]:
    """The `values` (`Lead.timezone`) whose leads may not be dialed at `now` under the campaign's window."""
    return sorted(v for v in set(values) if not timezone_value_inside(v, campaign, now))


def forget_cached_zones(campaign_id: int | None = None) -> None:
    """Drop the cached timezone values of one campaign, or of every campaign (None)."""
    _values_cache.forget(campaign_id)
