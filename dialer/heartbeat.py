"""The dialer's heartbeat: every `tick` records when it ran, so the campaign page can say the dialer is down.

Stored in Redis when REDIS_URL is set (every process sees it), else in Django's cache (the embedded
default runs the dialer in the web process, where the local-memory cache is shared).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache

KEY = "parley:dialer:heartbeat"
TTL_SECONDS = 3600
STALE_AFTER = dt.timedelta(minutes=1)


@lru_cache(maxsize=2)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def beat(now: dt.datetime) -> None:
    """Record a tick at `now` (aware). A broken store never stops the dialer: the page will say 'no heartbeat'."""
    value = now.isoformat()
    try:
        if settings.REDIS_URL:
            _redis(settings.REDIS_URL).set(KEY, value, ex=TTL_SECONDS)
        else:
            cache.set(KEY, value, TTL_SECONDS)
    except Exception:  # noqa: BLE001 - a heartbeat is advisory
        import logging

        logging.getLogger(__name__).warning("Could not record the dialer heartbeat", exc_info=True)


def last() -> dt.datetime | None:
    """When the dialer last ticked, or None if never (or the store is unreachable)."""
    try:
        raw = _redis(settings.REDIS_URL).get(KEY) if settings.REDIS_URL else cache.get(KEY)
    except Exception:  # noqa: BLE001
        return None
    if not raw:
        return None
    return dt.datetime.fromisoformat(raw.decode() if isinstance(raw, bytes) else raw)


def alive(now: dt.datetime) -> bool:
    seen = last()
    return seen is not None and now - seen <= STALE_AFTER
