"""Calls-per-second pacing: token buckets shared by every worker (Redis), one per campaign and one per account.

A dial needs a token from both its campaign's bucket and the account-wide bucket (`TWILIO_CPS_LIMIT`).
Buckets refill continuously and hold at most one tick's worth of tokens, so a burst never exceeds
`rate * DIALER_TICK_SECONDS`. Without REDIS_URL (the embedded default) the buckets live in this process.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

ACCOUNT_KEY = "parley:pace:account"

# KEYS: bucket keys. ARGV: wanted, then (rate, capacity) per key. Grants min(wanted, every bucket's whole tokens).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local grant = tonumber(ARGV[1])
local levels = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local cap = tonumber(ARGV[2 * i + 1])
  local v = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(v[1]) or cap
  local ts = tonumber(v[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  grant = math.min(grant, math.floor(tokens))
end
if grant < 0 then grant = 0 end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'tokens', tostring(levels[i] - grant), 'ts', tostring(now))
  redis.call('EXPIRE', key, 3600)
end
return grant
"""

_REFUND = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('HINCRBYFLOAT', key, 'tokens', ARGV[1])
  end
end
return 1
"""


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second

    @property
    def capacity(self) -> float:
        return max(1.0, self.rate * settings.DIALER_TICK_SECONDS)


def campaign_bucket(campaign_id: int, calls_per_second: float) -> Bucket:
    return Bucket(f"parley:pace:campaign:{campaign_id}", float(calls_per_second))


def account_bucket() -> Bucket:
    return Bucket(ACCOUNT_KEY, float(settings.TWILIO_CPS_LIMIT))


class RedisPacer:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self._take = self.client.register_script(_TAKE)
        self._refund = self.client.register_script(_REFUND)

    def take(self, buckets: list[Bucket], wanted: int) -> int:
        if wanted <= 0:
            return 0
        args: list[float] = [wanted]
        for bucket in buckets:
            args += [bucket.rate, bucket.capacity]
        return int(self._take(keys=[b.key for b in buckets], args=args))

    def refund(self, buckets: list[Bucket], count: int) -> None:
        if count > 0:
            self._refund(keys=[b.key for b in buckets], args=[count])

    def reset(self, buckets: list[Bucket]) -> None:
        self.client.delete(*[b.key for b in buckets])


class LocalPacer:
    """The same buckets in this process only: right for the embedded single-process default."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._levels: dict[str, tuple[float, float]] = {}  # key -> (tokens, monotonic ts)

    def _level(self, bucket: Bucket, now: float) -> float:
        tokens, ts = self._levels.get(bucket.key, (bucket.capacity, now))
        return min(bucket.capacity, tokens + max(0.0, now - ts) * bucket.rate)

    def take(self, buckets: list[Bucket], wanted: int) -> int:
        if wanted <= 0:
            return 0
        with self._lock:
            now = time.monotonic()
            levels = [self._level(b, now) for b in buckets]
            grant = max(0, min([wanted, *(int(level) for level in levels)]))
            for bucket, level in zip(buckets, levels, strict=True):
                self._levels[bucket.key] = (level - grant, now)
            return grant

    def refund(self, buckets: list[Bucket], count: int) -> None:
        if count <= 0:
            return
        with self._lock:
            for bucket in buckets:
                if bucket.key in self._levels:
                    tokens, ts = self._levels[bucket.key]
                    self._levels[bucket.key] = (tokens + count, ts)

    def reset(self, buckets: list[Bucket]) -> None:
        with self._lock:
            for bucket in buckets:
                self._levels.pop(bucket.key, None)


@lru_cache(maxsize=4)
def _pacer_for(url: str) -> RedisPacer | LocalPacer:
    return RedisPacer(url) if url else LocalPacer()


def get_pacer() -> RedisPacer | LocalPacer:
    return _pacer_for(settings.REDIS_URL)


def take(campaign_id: int, calls_per_second: float, wanted: int) -> int:
    """How many dials may start now (<= wanted); those tokens are spent."""
    return get_pacer().take([campaign_bucket(campaign_id, calls_per_second), account_bucket()], wanted)


def refund(campaign_id: int, calls_per_second: float, count: int) -> None:
    """Give back tokens taken but not used (fewer due leads than tokens)."""
    get_pacer().refund([campaign_bucket(campaign_id, calls_per_second), account_bucket()], count)


def reset(campaign_id: int) -> None:
    get_pacer().reset([campaign_bucket(campaign_id, 1.0), account_bucket()])
