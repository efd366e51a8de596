"""The call-event bus: per-call events (AMD verdict, provider hang-up, transfer/hang-up requests) reach the
session hosting the call, in whichever process it lives.

With REDIS_URL set, events travel over Redis pub/sub: `publish` is one PUBLISH on channel
`parley:<database>:call:<id>` (the database name keeps deployments and test databases sharing one Redis apart:
pub/sub ignores Redis' db number), and each process (each event loop) keeps ONE subscriber connection that
SUBSCRIBEs to the channel of each call it hosts. Without REDIS_URL, delivery is in-process.

Guarantees and limits (Redis pub/sub is at-most-once, docs: https://redis.io/docs/latest/develop/interact/pubsub/):
- `subscribe` returns a future that resolves once Redis confirmed the subscription (or after
  SUBSCRIBE_TIMEOUT_S, logged). A session re-reads its call row after awaiting it, so an event sent before it
  subscribed is not lost.
- When the subscriber connection drops, it reconnects with backoff, subscribes again and delivers a
  `resync` event to every call of that loop (events may have been missed meanwhile: re-read the row).
- Handlers run on the loop that subscribed them (`call_soon_threadsafe`) and must be idempotent: an event may
  come twice (a webhook retried by the provider).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
SUBSCRIBE_TIMEOUT_S = 2.0
REDIS_TIMEOUT_S = 2.0
POLL_S = 1.0
RECONNECT_MAX_S = 5.0

_lock = threading.Lock()
_handlers: dict[int, tuple[asyncio.AbstractEventLoop, Handler]] = {}
_subscribers: dict[tuple[asyncio.AbstractEventLoop, str], _Subscriber] = {}
_publishers: dict[str, Any] = {}


def _prefix() -> str:
    return f"parley:{settings.DATABASES['default']['NAME']}:call:"


def channel(call_id: int) -> str:
    """The Redis channel of one call's events."""
    return f"{_prefix()}{call_id}"


def subscribe(call_id: int, handler: Handler) -> asyncio.Future[None]:
    """Route `call_id`'s events to `handler(event, data)` on the running loop; replaces an earlier handler.

    Returns a future that resolves once events published from now on are sure to arrive (at once without Redis;
    after Redis confirmed the SUBSCRIBE, or SUBSCRIBE_TIMEOUT_S, with Redis). Must run inside the event loop.
    """
    loop = asyncio.get_running_loop()
    with _lock:
        _handlers[call_id] = (loop, handler)
    if not settings.REDIS_URL:
        done: asyncio.Future[None] = loop.create_future()
        done.set_result(None)
        return done
    return _subscriber(loop, settings.REDIS_URL).add(channel(call_id))


def unsubscribe(call_id: int) -> None:
    """Stop routing `call_id`'s events here; safe to call twice, and from any thread."""
    with _lock:
        entry = _handlers.pop(call_id, None)
    if entry is None or not settings.REDIS_URL:
        return
    loop = entry[0]
    sub = _subscribers.get((loop, settings.REDIS_URL))
    if sub is not None and not loop.is_closed():
        try:
            loop.call_soon_threadsafe(sub.remove, channel(call_id))
        except RuntimeError:
            pass  # the loop closed meanwhile


def publish(call_id: int, event: str, **data: Any) -> bool:
    """Send `event` with JSON-able `data` to the session hosting `call_id`, wherever it runs. Thread-safe, sync.

    Returns True when some process (with Redis: some subscriber) hosts the call, False when none does. A Redis
    that does not answer within REDIS_TIMEOUT_S is logged and the event is delivered in-process only.
    """
    if settings.REDIS_URL:
        import redis

        try:
            receivers = _publisher(settings.REDIS_URL).publish(
                channel(call_id), json.dumps({"event": event, "data": data})
            )
            return receivers > 0
        except redis.RedisError as exc:
            log.warning("call %s: could not publish %r on Redis (%r); delivering in this process only",
                        call_id, event, exc)  # fmt: skip
    return deliver(call_id, event, data)


def deliver(call_id: int, event: str, data: dict[str, Any]) -> bool:
    """Hand `event` to the handler of `call_id` in this process, on its loop; False when there is none."""
    with _lock:
        entry = _handlers.get(call_id)
    if entry is None:
        return False
    loop, handler = entry
    try:
        loop.call_soon_threadsafe(handler, event, data)
    except RuntimeError:  # the loop is closed: the session is gone
        return False
    return True


def _publisher(url: str):
    with _lock:
        client = _publishers.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(
                url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, health_check_interval=30
            )
            _publishers[url] = client
        return client


def _subscriber(loop: asyncio.AbstractEventLoop, url: str) -> _Subscriber:
    with _lock:
        for key in [k for k in _subscribers if k[0].is_closed()]:
            del _subscribers[key]
        sub = _subscribers.get((loop, url))
        if sub is None:
            sub = _subscribers[(loop, url)] = _Subscriber(loop, url)
        return sub


class _Subscriber:
    """One Redis pub/sub connection for every call hosted by one event loop (one per voice process)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, url: str) -> None:
        self.loop, self.url = loop, url
        self.channels: set[str] = set()
        self.waiting: dict[str, list[asyncio.Future[None]]] = {}
        self.pubsub = None
        self.control = f"{_prefix()}process:{os.getpid()}:{id(self)}"
        self._commands: set[asyncio.Task] = set()
        self.task = loop.create_task(self._run(), name="call-events")

    def add(self, name: str) -> asyncio.Future[None]:
        ready: asyncio.Future[None] = self.loop.create_future()
        self.channels.add(name)
        self.waiting.setdefault(name, []).append(ready)
        self.loop.call_later(SUBSCRIBE_TIMEOUT_S, self._give_up, name, ready)
        if self.pubsub is not None:
            self._command("subscribe", name)
        return ready

    def remove(self, name: str) -> None:
        self.channels.discard(name)
        for ready in self.waiting.pop(name, []):
            if not ready.done():
                ready.set_result(None)
        if self.pubsub is not None:
            self._command("unsubscribe", name)

    def _command(self, verb: str, name: str) -> None:
        task = self.loop.create_task(self._send(verb, name))
        self._commands.add(task)
        task.add_done_callback(self._commands.discard)

    async def _send(self, verb: str, name: str) -> None:
        pubsub = self.pubsub
        try:
            await asyncio.wait_for(getattr(pubsub, verb)(name), timeout=REDIS_TIMEOUT_S)
        except Exception as exc:  # the reader notices a dead connection and resubscribes everything
            log.warning("call events: %s %s failed: %r", verb, name, exc)

    def _give_up(self, name: str, ready: asyncio.Future[None]) -> None:
        if not ready.done():
            log.warning("call events: Redis did not confirm %s within %.1f s; relying on the call row",
                        name, SUBSCRIBE_TIMEOUT_S)  # fmt: skip
            ready.set_result(None)

    def _confirmed(self, name: str) -> None:
        for ready in self.waiting.pop(name, []):
            if not ready.done():
                ready.set_result(None)

    async def _run(self) -> None:
        import redis.asyncio as aioredis

        backoff, first = 0.1, True
        while True:
            client = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=None, socket_keepalive=True
            )
            pubsub = client.pubsub()
            try:
                asked = set(self.channels)
                await asyncio.wait_for(pubsub.subscribe(self.control, *asked), timeout=REDIS_TIMEOUT_S)
                self.pubsub = pubsub
                for name in self.channels - asked:  # added while we were connecting
                    self._command("subscribe", name)
                backoff = 0.1
                if not first:
                    self._resync()
                first = False
                while True:
                    message = await pubsub.get_message(timeout=POLL_S)
                    if message is not None:
                        self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("call events: Redis subscriber connection lost (%r); reconnecting in %.1f s", exc, backoff)
            finally:
                self.pubsub = None
                try:
                    await asyncio.wait_for(pubsub.aclose(), timeout=REDIS_TIMEOUT_S)
                    await asyncio.wait_for(client.aclose(), timeout=REDIS_TIMEOUT_S)
                except BaseException:  # closing a dead or cancelled connection: nothing left to do
                    pass
            await asyncio.sleep(backoff)
            backoff = min(RECONNECT_MAX_S, backoff * 2)

    def _on_message(self, message: dict[str, Any]) -> None:
        name = message.get("channel")
        name = name.decode() if isinstance(name, bytes) else str(name)
        kind = message.get("type")
        if kind == "subscribe":
            self._confirmed(name)
            return
        if kind != "message" or not name.startswith(_prefix()):
            return
        try:
            call_id = int(name.rsplit(":", 1)[1])
            body = json.loads(message["data"])
            event, data = str(body["event"]), dict(body.get("data") or {})
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("call events: ignored a malformed message on %s: %r", name, exc)
            return
        deliver(call_id, event, data)

    def _resync(self) -> None:
        with _lock:
            mine = [call_id for call_id, (loop, _) in _handlers.items() if loop is self.loop]
        for call_id in mine:
            deliver(call_id, "resync", {})
