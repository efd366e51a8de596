"""What the multi-context WebSocket TTS adapters (ElevenLabs, Cartesia) share.

One reply = one vendor context on the call's shared socket. The socket's reader task routes each message to its
reply, which turns it into `AudioChunk`s on a queue; `audio()` yields them, and fails with a `ProviderError` when
pushed text gets no audio back within the TTS's `first_byte_timeout` (seconds). `cancel()` (barge-in) releases the
context at once and asks the vendor to drop it; audio of it that still arrives is dropped. The vendor name
(`vendor`) opens every error message, so a failure says whose it was.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .base import AudioChunk, ProviderError

log = logging.getLogger(__name__)

_PUSHED = object()  # wakes audio() so it starts timing the first byte of newly pushed text


class ContextTTS:
    """The vendor-neutral part of a call's TTS: its settings, its one socket and the task warming it.

    `connect_timeout` and `first_byte_timeout` are seconds; subclasses open the socket in `_connected()`.
    """

    connect_timeout = 3.0
    first_byte_timeout = 2.0  # pushed text with no audio back for this long means the vendor stopped

    def __init__(self, *, api_key: str, model: str, base_url: str = "", label: str = "") -> None:
        self.api_key = api_key
        self.model = model
        self.base_url = base_url
        self.label = label  # the start of every context id (e.g. "call42")
        self._socket: Any = None
        self._warming: asyncio.Task[Any] | None = None

    def _warm(self, connecting: Callable[[], Awaitable[Any]]) -> None:
        """Start `connecting()` now when a loop is running (a failure is left for the first reply to meet)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._warming = asyncio.ensure_future(connecting())
        self._warming.add_done_callback(lambda task: task.cancelled() or task.exception())

    async def close(self) -> None:
        """Hang-up: close the call's socket (the contract has no close; `Providers.aclose()` calls this)."""
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
        if self._socket is not None:
            await self._socket.close()
            self._socket = None


class ContextSocket:
    """The vendor-neutral part of one call's TTS socket: its replies by context id, readiness and failure.

    Subclasses open the connection in `_open()` (started here as a task), read it, and send on it.
    """

    vendor = ""

    def __init__(self, tts: Any) -> None:
        self.tts = tts
        self.replies: dict[str, Any] = {}
        self.dead = False
        self.error: ProviderError | None = None  # why the socket died
        self._connection: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._opening: asyncio.Task[None] = asyncio.ensure_future(self._open())

    async def _open(self) -> None:
        raise NotImplementedError

    async def send(self, message: Any) -> None:
        raise NotImplementedError

    async def ready(self) -> None:
        """Wait for the socket to open; raises the `ProviderError` that kept it from opening."""
        await asyncio.shield(self._opening)

    def release(self, context_id: str) -> None:
        """A reply is over (finished, failed or cancelled): stop routing its context's messages."""
        self.replies.pop(context_id, None)

    def _fail_all(self, error: ProviderError) -> None:
        """The socket is unusable: every live reply fails with `error`."""
        log.warning("%s", error)
        self.dead = True
        self.error = self.error or error
        for reply in list(self.replies.values()):
            reply.fail(error)
        self.replies.clear()

    async def _abort(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._connection.close(), timeout=1.0)


class ContextReply:
    """One agent reply as one vendor context (the `TTSStream` contract), minus what it sends.

    Subclasses implement `push`/`end`, feed audio with `_queue.put_nowait(AudioChunk)`, call `_pushed()` after
    sending text (starts the first-audio deadline), `_heard()` when audio arrives, `_finish()` when the vendor says
    the context is done, and return the vendor's cancel message from `_cancel_message()` (None: send nothing).
    """

    def __init__(self, socket: ContextSocket, context_id: str) -> None:
        self.socket = socket
        self.context_id = context_id
        self.cancelled = False
        self._ended = False
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._awaiting_since: float | None = None

    def _pushed(self) -> None:
        if self._awaiting_since is None:
            self._awaiting_since = time.monotonic()
            self._queue.put_nowait(_PUSHED)

    def _heard(self) -> None:
        self._awaiting_since = None

    def _finish(self) -> None:
        self.socket.release(self.context_id)
        self._queue.put_nowait(None)

    def _cancel_message(self) -> Any:
        raise NotImplementedError

    async def audio(self) -> AsyncIterator[AudioChunk]:
        """The reply's audio chunks until the vendor finishes the context (or it is cancelled).

        Raises `ProviderError` ("<vendor>: no audio within N s of the text") when pushed text gets no audio back
        within the TTS's `first_byte_timeout` seconds, or the error the vendor/socket reported.
        """
        timeout = self.socket.tts.first_byte_timeout
        while True:
            wait = None if self._awaiting_since is None else self._awaiting_since + timeout - time.monotonic()
            try:
                if not self._queue.empty():
                    item = self._queue.get_nowait()
                else:
                    item = await asyncio.wait_for(self._queue.get(), None if wait is None else max(0.001, wait))
            except TimeoutError as exc:
                self.socket.release(self.context_id)
                raise ProviderError(f"{self.socket.vendor}: no audio within {timeout:g} s of the text") from exc
            if item is _PUSHED:
                continue
            if item is None:
                return
            if isinstance(item, ProviderError):
                raise item
            yield item

    async def cancel(self) -> None:
        """Barge-in: release the context now and tell the vendor; audio of it that still arrives is dropped."""
        if self.cancelled:
            return
        self.cancelled = True
        self._finish()
        message = self._cancel_message()
        if message is not None and not self.socket.dead:
            with contextlib.suppress(ProviderError):
                await self.socket.send(message)

    def fail(self, error: ProviderError) -> None:
        """End the reply with `error` (raised from `audio()`)."""
        self.socket.release(self.context_id)
        self._queue.put_nowait(error)
