"""Known values: per campaign, the distinct values its dialable leads hold (timezones, (timezone, jurisdiction)
pairs), kept per process for DIALER_ZONE_CACHE_SECONDS so a claim does not read them from the database each tick.

They only say which values are known; the claim judges a value it has not seen row by row and adds it (`add`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.conf import settings

V = TypeVar("V", str, tuple[str, str])


class KnownValues(Generic[V]):
    """Per campaign id: the values last read and when (`time.monotonic()` seconds)."""

    def __init__(self) -> None:
        self._by_campaign: dict[int, tuple[float, list[V]]] = {}

    def get(self, campaign_id: int, read: Callable[[], list[V]], *, fresh: bool = False) -> list[V]:
        """The campaign's values: cached ones younger than DIALER_ZONE_CACHE_SECONDS (0 or less: no cache), else
        `read()`, stored with the time it returned (`fresh`: always `read()`)."""
        ttl = settings.DIALER_ZONE_CACHE_SECONDS
        hit = self._by_campaign.get(campaign_id)
        if not fresh and hit and ttl > 0 and time.monotonic() - hit[0] < ttl:
            return hit[1]
        values = read()
        self._by_campaign[campaign_id] = (time.monotonic(), values)
        return values

    def add(self, campaign_id: int, values: Iterable[V]) -> None:
        """Merge `values` into the campaign's cached ones (sorted, keeping their age); nothing when none are cached."""
        hit = self._by_campaign.get(campaign_id)
        if hit is not None:
            self._by_campaign[campaign_id] = (hit[0], sorted(set(hit[1]) | set(values)))

    def forget(self, campaign_id: int | None = None) -> None:
        """Drop one campaign's values, or every campaign's (None)."""
        if campaign_id is None:
            self._by_campaign.clear()
        else:
            self._by_campaign.pop(campaign_id, None)
