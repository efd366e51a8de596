"""Which providers are cooling down after a fault, so new calls start on a healthy one.

`mark_failed(layer, name, why)` starts a cool-down of `VOICE_PROVIDER_COOLDOWN_S`; `down(layer, names)` says which
of `names` are still in theirs. With `REDIS_URL` the state is shared by every voice process (a key per provider,
`parley:<database>:provider-down:<layer>:<name>`, holding why, expiring with the cool-down, so recovery needs no
sweeper); without it, or when Redis does not answer within 200 ms, it is this process's memory. A process always
remembers its own marks too, so a Redis outage never sends it back to a provider it saw fail.
"""
from __future__ import annotations

import logging
import time

from django.conf import settings

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.2  # a health read or write may delay a call start by at most this
READ_CACHE_S = 1.0  # how long one process trusts its last read of the shared state

_local: dict[tuple[str, str], float] = {}  # (layer, name) -> monotonic end of the cool-down
_read_cache: dict[tuple[str, ...], tuple[float, frozenset[str]]] = {}
_client = None


def cooldown_s() -> float:
    return float(getattr(settings, "VOICE_PROVIDER_COOLDOWN_S", 60.0))


def mark_failed(layer: str, name: str, why: str) -> None:
    """`name` failed on `layer` (stt/llm/tts): new calls skip it for the cool-down. Never raises."""
    seconds = cooldown_s()
    _local[(layer, name)] = time.monotonic() + seconds
    _read_cache.clear()
    redis = _redis()
    if redis is not None and seconds > 0:
        try:
            redis.set(_key(layer, name), why[:300], ex=max(1, round(seconds)))
        except Exception as exc:  # the local mark stands
            log.warning("provider health: could not share %s/%s down (%r)", layer, name, exc)


def down(layer: str, names: list[str]) -> set[str]:
    """Those of `names` in a cool-down on `layer` (this process's marks, and the shared ones)."""
    now = time.monotonic()
    out = {n for n in names if _local.get((layer, n), 0.0) > now}
    redis = _redis()
    if redis is None:
        return out
    cache_key = (layer, *names)
    cached = _read_cache.get(cache_key)
    if cached is not None and cached[0] > now:
        return out | cached[1]
    try:
        values = redis.mget([_key(layer, n) for n in names])
        shared = frozenset(n for n, v in zip(names, values, strict=True) if v is not None)
    except Exception as exc:
        log.warning("provider health: shared state unreadable (%r); using this process's", exc)
        shared = frozenset()
    _read_cache[cache_key] = (now + READ_CACHE_S, shared)
    return out | shared


def order(layer: str, names: list[str]) -> list[str]:
    """`names` with the healthy ones first, each group in the configured order (all down: as configured)."""
    sick = down(layer, names) if len(names) > 1 else set()
    return [n for n in names if n not in sick] + [n for n in names if n in sick]


def reset() -> None:
    """Forget every mark (tests, and the benchmark between scenarios)."""
    _local.clear()
    _read_cache.clear()
    redis = _redis()
    if redis is not None:
        try:
            keys = list(redis.scan_iter(_key("*", "*")))
            if keys:
                redis.delete(*keys)
        except Exception:
            log.debug("provider health: reset of the shared state failed", exc_info=True)


def _key(layer: str, name: str) -> str:
    database = settings.DATABASES["default"]["NAME"]
    return f"parley:{database}:provider-down:{layer}:{name}"


def _redis():
    global _client
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    if _client is None or _client[0] != url:
        import redis

        _client = (url, redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S,
                                            socket_connect_timeout=REDIS_TIMEOUT_S))
    return _client[1]
