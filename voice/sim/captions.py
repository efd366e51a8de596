"""The side channel that tells the rehearsal STT which words a simulated callee is saying.

A simulated callee speaks only Twilio's protocol (speech-shaped audio), so the words travel beside the audio,
keyed by the call sid. Each caption is one utterance: `{"utterance": n, "start_chunk": k, "words":
[[word, start_ms, end_ms], ...]}` where `start_chunk` is the Twilio media chunk number of the utterance's first
frame; the rehearsal STT releases the words only as that audio arrives, so recognition timing follows the audio.

Two transports, chosen by `REDIS_URL`:
- in-process (no Redis): a thread-safe registry of subscriber queues, for callee and session sharing a process
  (`rehearse`, tests, the benchmark), even on different threads and event loops;
- Redis: each caption is RPUSHed to `parley:captions:<sid>` (a backlog, expires after an hour) and PUBLISHed on
  the channel of the same name, so a subscriber that starts late reads the backlog and then listens.
Captions published before anyone subscribes are kept (in-process: until `forget`; Redis: in the backlog).
"""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

from django.conf import settings

Caption = dict[str, Any]
_PREFIX = "parley:captions:"
_BACKLOG_TTL = 3600


class _LocalBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backlog: dict[str, list[Caption]] = {}
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}

    def publish(self, sid: str, caption: Caption) -> None:
        with self._lock:
            self._backlog.setdefault(sid, []).append(caption)
            subscribers = list(self._subscribers.get(sid, ()))
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(queue.put_nowait, caption)

    def subscribe(self, sid: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        with self._lock:
            for caption in self._backlog.get(sid, ()):
                queue.put_nowait(caption)
            self._subscribers.setdefault(sid, []).append((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, sid: str, queue: asyncio.Queue) -> None:
        with self._lock:
            subs = self._subscribers.get(sid, [])
            subs[:] = [s for s in subs if s[1] is not queue]
            if not subs:
                self._subscribers.pop(sid, None)

    def forget(self, sid: str) -> None:
        with self._lock:
            self._backlog.pop(sid, None)


_local = _LocalBus()


def _redis_url() -> str:
    return getattr(settings, "REDIS_URL", "") or ""


async def publish(sid: str, caption: Caption) -> None:
    url = _redis_url()
    if not url:
        _local.publish(sid, caption)
        return
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        payload = json.dumps(caption)
        async with client.pipeline(transaction=False) as pipe:
            pipe.rpush(_PREFIX + sid, payload)
            pipe.expire(_PREFIX + sid, _BACKLOG_TTL)
            pipe.publish(_PREFIX + sid, payload)
            await pipe.execute()
    finally:
        await client.aclose()


async def subscribe(sid: str) -> AsyncIterator[Caption]:
    """Every caption of call `sid`, in order, backlog first; runs until cancelled."""
    url = _redis_url()
    if not url:
        queue = _local.subscribe(sid)
        try:
            while True:
                yield await queue.get()
        finally:
            _local.unsubscribe(sid, queue)
        return
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    pubsub = client.pubsub()
    seen: set[int] = set()
    try:
        await pubsub.subscribe(_PREFIX + sid)
        for raw in await client.lrange(_PREFIX + sid, 0, -1):
            caption = json.loads(raw)
            seen.add(caption["utterance"])
            yield caption
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            caption = json.loads(message["data"])
            if caption["utterance"] in seen:
                continue
            seen.add(caption["utterance"])
            yield caption
    finally:
        await pubsub.aclose()
        await client.aclose()


async def forget(sid: str) -> None:
    """Drop the backlog of a finished call."""
    url = _redis_url()
    if not url:
        _local.forget(sid)
        return
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        await client.delete(_PREFIX + sid)
    finally:
        await client.aclose()
