"""Listening to a live call: the session's audio of both sides, fanned out to whoever listens, in any process.

The session hosting a call owns a `Tap`. While nobody listens it costs one attribute check per frame. Once a
listener is present (with Redis: the key `parley:<database>:listeners:<call id>`, which each listener refreshes
every LISTENER_REFRESH_S with a LISTENER_TTL_S expiry; without Redis: an in-process registry), the tap collects the
caller's and the agent's μ-law frames and every FLUSH_S publishes one message on `parley:<database>:listen:<call
id>` (Redis PUBLISH; in-process: the listeners' queues):

    message = sent at (8 bytes, big-endian float64, Unix ms) + caller μ-law (n bytes) + agent μ-law (n bytes),
              8 kHz, both sides padded with silence to n.

The timestamp lets a listener's page estimate how far behind the call it plays (same-clock hosts; a page whose
clock is off falls back to its own buffer's length).

So a listener costs 16 KB/s (two sides × 8 kHz × 1 byte) of Redis bandwidth and FLUSH_S of delay at the source;
nothing is published for a call nobody listens to. Listening never touches the call: the tap only copies frames.
Pub/sub is at-most-once (a lost message is a 100 ms gap in what the manager hears, never in the call).
"""
from __future__ import annotations

import asyncio
import logging
import struct
import threading
import time
import weakref
from collections.abc import AsyncIterator

from django.conf import settings

from voice.audio import SILENCE_BYTE

log = logging.getLogger(__name__)

FLUSH_S = 0.1  # audio is published in slices this long
PRESENCE_POLL_S = 1.0  # the tap looks for listeners this often
LISTENER_TTL_S = 5  # a listener's presence key expires this long after its last refresh
LISTENER_REFRESH_S = 2.0
MAX_BUFFER = 8000  # bytes per side kept while a publish is slow (1 s); older audio is dropped
REDIS_TIMEOUT_S = 2.0

_lock = threading.Lock()
_local: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, object]] = weakref.WeakKeyDictionary()


def _prefix() -> str:
    return f"parley:{settings.DATABASES['default']['NAME']}:"


def audio_channel(call_id: int) -> str:
    """The Redis channel that carries one call's audio slices."""
    return f"{_prefix()}listen:{call_id}"


def presence_key(call_id: int) -> str:
    """The Redis key that says someone listens to the call (expires unless refreshed)."""
    return f"{_prefix()}listeners:{call_id}"


def split(message: bytes) -> tuple[float, bytes, bytes]:
    """(sent at, Unix ms; caller μ-law; agent μ-law) of one published slice."""
    (sent_ms,) = struct.unpack(">d", message[:8])
    audio = message[8:]
    half = len(audio) // 2
    return sent_ms, audio[:half], audio[half:]


def _redis():
    """One asyncio Redis client per event loop (the tap and listener tasks of that loop share it)."""
    import redis.asyncio as aioredis

    loop = asyncio.get_running_loop()
    with _lock:
        clients = _clients.setdefault(loop, {})  # per loop object: a closed loop's clients go with it
        client = clients.get(settings.REDIS_URL)
        if client is None:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
            )
            clients[settings.REDIS_URL] = client
        return client


class Tap:
    """The session side: copies frames while someone listens, and publishes them in FLUSH_S slices."""

    __slots__ = ("call_id", "on", "_caller", "_agent", "_task")

    def __init__(self, call_id: int) -> None:
        self.call_id = call_id
        self.on = False
        self._caller = bytearray()
        self._agent = bytearray()
        self._task: asyncio.Task | None = None

    def caller(self, frame: bytes) -> None:
        self._caller += frame

    def agent(self, frame: bytes) -> None:
        self._agent += frame

    def start(self) -> None:
        """Begin looking for listeners (on the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    def close(self) -> None:
        self.on = False
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _slice(self) -> bytes:
        caller, agent = bytes(self._caller[-MAX_BUFFER:]), bytes(self._agent[-MAX_BUFFER:])
        self._caller.clear()
        self._agent.clear()
        n = max(len(caller), len(agent))
        if n == 0:
            return b""
        silence = bytes([SILENCE_BYTE])
        return struct.pack(">d", time.time() * 1000) + caller.ljust(n, silence) + agent.ljust(n, silence)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        checked = 0.0
        while True:
            try:
                if loop.time() - checked >= PRESENCE_POLL_S:
                    checked = loop.time()
                    was = self.on
                    self.on = await _listened(self.call_id)
                    if was and not self.on:
                        self._caller.clear()
                        self._agent.clear()
                if self.on:
                    message = self._slice()
                    if message:
                        await _publish(self.call_id, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a Redis hiccup costs the listener a gap, never the call
                log.info("call %s: listen tap: %r", self.call_id, exc)
                self.on = False
            await asyncio.sleep(FLUSH_S if self.on else PRESENCE_POLL_S)


async def _listened(call_id: int) -> bool:
    if settings.REDIS_URL:
        return bool(await _redis().exists(presence_key(call_id)))
    with _lock:
        return bool(_local.get(call_id))


async def _publish(call_id: int, message: bytes) -> None:
    if settings.REDIS_URL:
        await _redis().publish(audio_channel(call_id), message)
        return
    with _lock:
        queues = list(_local.get(call_id, ()))
    for loop, queue in queues:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, message)
        except RuntimeError:
            pass  # that listener's loop is gone


async def listen(call_id: int) -> AsyncIterator[bytes]:
    """The call's audio slices (see `split`) from now on, whichever process hosts it, until the caller stops
    iterating. Announces the listener (presence key refreshed every LISTENER_REFRESH_S) so the tap starts
    publishing within PRESENCE_POLL_S."""
    if not settings.REDIS_URL:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with _lock:
            _local.setdefault(call_id, []).append(entry)
        try:
            while True:
                yield await queue.get()
        finally:
            with _lock:
                rest = [e for e in _local.get(call_id, ()) if e is not entry]
                if rest:
                    _local[call_id] = rest
                else:
                    _local.pop(call_id, None)
        return
    client = _redis()
    pubsub = client.pubsub()
    await pubsub.subscribe(audio_channel(call_id))
    refresher = asyncio.create_task(_announce(client, call_id))
    try:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is not None and message["type"] == "message":
                yield message["data"]
    finally:
        refresher.cancel()
        try:
            await pubsub.unsubscribe()
            await pubsub.aclose()
        except Exception:
            pass


async def _announce(client, call_id: int) -> None:
    while True:
        try:
            await client.set(presence_key(call_id), 1, ex=LISTENER_TTL_S)
        except Exception as exc:
            log.info("call %s: could not announce a listener (%r)", call_id, exc)
        await asyncio.sleep(LISTENER_REFRESH_S)
