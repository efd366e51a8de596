"""The media WebSocket: Twilio Media Streams for one call, as a plain ASGI handler (no Channels: per-frame CPU).

A connection must carry a valid, unexpired media token (`voice.tokens`) for a call that is still live, or it is
refused before the handshake completes: no audio ever flows. A malformed frame is counted, logged (the first
few per call) and skipped. Everything about the conversation lives in `voice.session.CallSession`.
"""
from __future__ import annotations

import gc
import logging

from asgiref.sync import sync_to_async

from voice import media_streams as ms
from voice import records
from voice.session import CallSession
from voice.tokens import InvalidMediaToken, read_media_token

log = logging.getLogger(__name__)
LOGGED_MALFORMED = 3
POLICY_VIOLATION = 1008


class AsgiTransport:
    """The session's outbound side: Twilio `media`, `mark` and `clear` messages on this connection."""

    __slots__ = ("_send", "stream_sid", "closed")

    def __init__(self, send) -> None:
        self._send = send
        self.stream_sid = ""
        self.closed = False

    async def send_media(self, frame: bytes) -> None:
        if not self.closed:
            await self._send({"type": "websocket.send", "text": ms.media_message(self.stream_sid, frame)})

    async def send_mark(self, name: str) -> None:
        if not self.closed:
            await self._send({"type": "websocket.send", "text": ms.mark_message(self.stream_sid, name)})

    async def send_clear(self) -> None:
        if not self.closed:
            await self._send({"type": "websocket.send", "text": ms.clear_message(self.stream_sid)})

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self._send({"type": "websocket.close", "code": 1000})


async def _refuse(send, why: str, path: str) -> None:
    log.warning("Refused media connection %s: %s", path[:24] + "…", why)
    await send({"type": "websocket.close", "code": POLICY_VIOLATION})


_frozen = False


def _freeze_startup_objects() -> None:
    """Keep the cyclic GC off the 20 ms pacing path. Everything loaded before the first call (Django, apps)
    is frozen out of the collector's sight, and a larger young generation lets per-frame garbage die young
    instead of being promoted: full collections (30-50 ms of CPU each at 100 calls here) become rare."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 20, 10)


async def media_app(scope, receive, send) -> None:
    _freeze_startup_objects()
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    token = scope["path"][len("/media/") :].strip("/")
    try:
        call_id = read_media_token(token)
    except InvalidMediaToken as exc:
        await _refuse(send, f"bad token ({exc})", scope["path"])
        return
    info = await sync_to_async(records.load_live_call)(call_id)
    if info is None:
        await sync_to_async(records.release_connection)()
        await _refuse(send, f"call {call_id} is not live", scope["path"])
        return
    await send({"type": "websocket.accept"})
    transport = AsgiTransport(send)
    session: CallSession | None = None
    malformed = 0
    caller_hung_up = True
    try:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                break
            if kind != "websocket.receive":
                continue
            try:
                event = ms.decode(message.get("text") or message.get("bytes") or b"")
            except ms.MalformedFrame as exc:
                malformed += 1
                if malformed <= LOGGED_MALFORMED:
                    log.warning("call %s: skipped a malformed frame: %s", call_id, exc)
                continue
            if type(event) is ms.Media:
                if session is not None:
                    await session.on_audio(event.payload)
            elif type(event) is ms.Mark:
                if session is not None:
                    session.on_mark(event.name)
            elif type(event) is ms.Start:
                if session is None:
                    transport.stream_sid = event.stream_sid
                    session = CallSession(info, transport)
                    await session.start(event.call_sid, event.stream_sid, event.custom_parameters)
            elif type(event) is ms.Dtmf:
                if session is not None:
                    session.on_dtmf(event.digit)
            elif type(event) is ms.Stop:
                break
            if session is not None and session.ending and transport.closed:
                caller_hung_up = False
    finally:
        if session is not None:
            session.metrics.malformed_frames = malformed
            await session.close(caller_hung_up=caller_hung_up)
        if malformed > LOGGED_MALFORMED:
            log.warning("call %s: %d malformed frames in all", call_id, malformed)
        if not transport.closed:
            transport.closed = True
            try:
                await send({"type": "websocket.close", "code": 1000})
            except Exception:
                pass
