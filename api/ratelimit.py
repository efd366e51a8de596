"""Requests per token per minute: a fixed one-minute window counted in Redis when REDIS_URL is set (every web
process shares it), else in Django's cache (the embedded default is one process)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_in: int  # seconds until the window starts again


@lru_cache(maxsize=2)
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def hit(token_prefix: str, now: float | None = None) -> Verdict:
    """Count one request of the token with `token_prefix` (random, unique): is it within API_RATE_LIMIT_PER_MINUTE?

    A store that cannot be reached lets the request through (logged): the limit protects the service, it is not a
    reason to refuse every client while Redis restarts."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    reset_in = WINDOW_SECONDS - int(now % WINDOW_SECONDS)
    key = f"parley:{connection.settings_dict['NAME']}:api:rate:{token_prefix}:{window}"
    try:
        if settings.REDIS_URL:
            pipe = _redis(settings.REDIS_URL).pipeline()
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS + 5)
            count = int(pipe.execute()[0])
        else:
            cache.add(key, 0, WINDOW_SECONDS + 5)
            count = cache.incr(key)
    except Exception:  # noqa: BLE001
        log.warning("API rate limit store unreachable; request allowed", exc_info=True)
        return Verdict(True, limit, limit, reset_in)
    return Verdict(count <= limit, limit, max(limit - count, 0), reset_in)
