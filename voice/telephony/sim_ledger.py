"""The simulated telephony provider's ledger: every dial it received and each call's last status.

Kept in Redis when REDIS_URL is set, so every process shares it (the sweeper, benchmarks), else in this process;
`process_alive` tells whether the process that dialed a call recorded here still holds its line.
"""
from __future__ import annotations

import json
import os
import socket
import threading
from typing import Any

from django.conf import settings

LEDGER_PREFIX = "parley:sim:"
LEDGER_MAX_DIALS = 200_000


class Ledger:
    """The simulated provider's own record: every dial it received and each call's last status."""

    def __init__(self) -> None:
        self._redis = None
        if settings.REDIS_URL:
            import redis

            self._redis = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
        self._lock = threading.Lock()
        self._dials: list[dict[str, Any]] = []
        self._calls: dict[str, dict[str, Any]] = {}
        self._by_call: dict[str, str] = {}

    def record_dial(self, dial: dict[str, Any]) -> None:
        state = {"status": "queued", "call_id": dial["call_id"], "pid": dial["pid"], "host": dial["host"]}
        if self._redis is not None:
            pipe = self._redis.pipeline(transaction=False)
            pipe.rpush(LEDGER_PREFIX + "dials", json.dumps(dial))
            pipe.ltrim(LEDGER_PREFIX + "dials", -LEDGER_MAX_DIALS, -1)
            pipe.hset(LEDGER_PREFIX + "call:" + dial["sid"], mapping=state)
            pipe.expire(LEDGER_PREFIX + "call:" + dial["sid"], 86400)
            pipe.hset(LEDGER_PREFIX + "by_call", str(dial["call_id"]), dial["sid"])
            pipe.execute()
            return
        with self._lock:
            self._dials.append(dial)
            self._calls[dial["sid"]] = state
            self._by_call[str(dial["call_id"])] = dial["sid"]

    def record_status(self, sid: str, **fields: Any) -> None:
        fields = {k: str(v) for k, v in fields.items()}
        if self._redis is not None:
            self._redis.hset(LEDGER_PREFIX + "call:" + sid, mapping=fields)
            return
        with self._lock:
            self._calls.setdefault(sid, {}).update(fields)

    def call(self, sid: str) -> dict[str, Any] | None:
        if self._redis is not None:
            return self._redis.hgetall(LEDGER_PREFIX + "call:" + sid) or None
        with self._lock:
            return dict(self._calls[sid]) if sid in self._calls else None

    def sid_of(self, call_id: int) -> str | None:
        if self._redis is not None:
            return self._redis.hget(LEDGER_PREFIX + "by_call", str(call_id))
        with self._lock:
            return self._by_call.get(str(call_id))

    def dials(self) -> list[dict[str, Any]]:
        if self._redis is not None:
            return [json.loads(d) for d in self._redis.lrange(LEDGER_PREFIX + "dials", 0, -1)]
        with self._lock:
            return list(self._dials)

    def clear(self) -> None:
        if self._redis is not None:
            keys = list(self._redis.scan_iter(LEDGER_PREFIX + "*", count=1000))
            for i in range(0, len(keys), 1000):
                self._redis.delete(*keys[i : i + 1000])
        with self._lock:
            self._dials.clear()
            self._calls.clear()
            self._by_call.clear()


def process_alive(pid: int, host: str) -> bool:
    """False only when the dialing process recorded in the ledger (`pid` on `host`) is known to be gone."""
    if host != socket.gethostname():
        return True  # cannot tell; assume the line is still up
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
