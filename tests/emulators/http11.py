"""The HTTP/1.1 side the API emulators share (OpenAI Chat Completions, Anthropic Messages, OpenAI speech).

`HttpEmulator` serves keep-alive connections on 127.0.0.1 and hands each request to the subclass's `_dispatch`;
scripted `Reply`s are used in order, then a `responder`; the stream faults every vendor fails alike (never
answering, closing mid-stream, a malformed event) are carried out here. Below it, the wire: requests read, JSON
answers and chunked (SSE) frames written, pauses that notice a client hanging up.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn, Self

from .faults import Fault, FaultBook, Recorder

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
           500: "Internal Server Error", 503: "Service Unavailable", 529: "Overloaded"}


@dataclass
class Reply:
    """One scripted assistant reply: text, tool calls (name and arguments: a dict, or a raw string), or both."""

    text: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    token_rate: float | None = None  # tokens per second for this reply; the emulator's rate when None
    # A recorded stream, sent verbatim instead of the above: each item one SSE `data:` line (a dict as JSON, a
    # string as is, e.g. "[DONE]"). The shapes of other OpenAI-compatible servers: tests/providers/stream_shapes/.
    events: list[Any] | None = None


class ClientGone(Exception):
    pass


class HttpEmulator:
    """A scriptable HTTP/1.1 API on 127.0.0.1. `replies` are used in order, then `responder`, then "Okay.".

    Subclasses define `url` and `_dispatch(request, reader, writer)`, which answers one request and returns False
    when the connection must close.
    """

    def __init__(
        self,
        *,
        api_key: str,
        replies: list[Reply] | tuple[Reply, ...],
        responder: Callable[[dict[str, Any]], Reply | Awaitable[Reply]] | None,
        first_token_delay: float,
        token_rate: float,
    ) -> None:
        self.recorder = Recorder()
        self.faults = FaultBook()
        self.api_key = api_key
        self.replies: deque[Reply] = deque(replies)
        self.responder = responder
        self.first_token_delay = first_token_delay
        self.token_rate = token_rate
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    async def start(self, port: int = 0) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            if self._handlers:
                await asyncio.wait(list(self._handlers), timeout=1)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=1)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    def requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.recorder.of("request")]

    async def _dispatch(self, request: dict[str, Any], reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> bool:
        raise NotImplementedError

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                request = await read_request(reader)
                if request is None or not await self._dispatch(request, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ClientGone):
            pass
        finally:
            self._writers.discard(writer)
            self._handlers.discard(task)
            writer.close()

    async def _reply_for(self, body: dict[str, Any]) -> Reply:
        if self.replies:
            return self.replies.popleft()
        if self.responder is not None:
            reply = self.responder(body)
            return await reply if inspect.isawaitable(reply) else reply
        return Reply(text="Okay.")

    async def _hang(self, reader: asyncio.StreamReader, user: Any, **closed: Any) -> NoReturn:
        """Never answer: hold the request until the client gives up (`closed` goes into its record)."""
        self.recorder.record("fault", kind="never_answer", user=user)
        while not reader.at_eof():
            await asyncio.sleep(0.01)
        self.recorder.record("client_closed", user=user, sent=0, **closed)
        raise ClientGone

    async def _break_stream(self, fault: Fault, writer: asyncio.StreamWriter, user: Any, sent: int,
                            malformed: bytes) -> bool:
        """A mid-stream fault, after `sent` deltas: `close_mid_stream` drops the connection (False: the stream is
        over); `malformed` sends the frame `malformed` (an event cut off mid-JSON) and the stream goes on (True)."""
        self.recorder.record("fault", kind=fault.kind, user=user, sent=sent)
        if fault.kind == "close_mid_stream":
            writer.transport.abort()
            return False
        await send_chunk(writer, malformed)
        return True


# --- wire ---------------------------------------------------------------------------------------
async def read_request(reader: asyncio.StreamReader) -> dict[str, Any] | None:
    """The next request on a keep-alive connection: method, path (no query), lower-case headers, body bytes;
    None once the client has closed it."""
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return {"method": method, "path": target.split("?", 1)[0], "headers": headers, "body": body}


async def send_json(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any],
                    headers: dict[str, str]) -> None:
    """One JSON response on a keep-alive connection, `headers` after the standard ones."""
    data = json.dumps(payload).encode()
    head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", "Content-Type: application/json",
            f"Content-Length: {len(data)}", "Connection: keep-alive"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
    await writer.drain()


async def send_chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    """One chunk of a `Transfer-Encoding: chunked` body (an SSE frame of a stream)."""
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    await writer.drain()


async def pause(reader: asyncio.StreamReader, seconds: float) -> None:
    """Wait, noticing at once when the client closes the connection (that is how cancellation is observed)."""
    deadline = time.monotonic() + seconds
    while True:
        if reader.at_eof():
            raise ClientGone
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(0.005, remaining))
