"""The media WebSocket: Twilio Media Streams for one call, as a plain ASGI handler (no Channels: per-frame CPU).

A connection must carry a valid, unexpired media token (`voice.tokens`) for a call that is still live, or it is
refused before the handshake completes: no audio ever flows. The token is used once and bound to its call: the
`start` message's accountSid must be ours and its callSid the call's provider sid, and the stream claims the call
atomically (`records.claim_media`), so a replayed URL or a foreign start is closed with 1008 before the agent
speaks. Tokens never appear in the logs (`voice.redact`). A malformed frame is counted, logged (the first
few per call) and skipped. Everything about the conversation lives in `voice.session.CallSession`.
"""
from __future__ import annotations

import gc
import logging

from django.conf import settings
from django.utils import timezone

from voice import db, drain, records
from voice import media_streams as ms
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


async def _refuse(send, why: str) -> None:
    log.warning("Refused media connection: %s", why)  # never the path: it carries the token
    await send({"type": "websocket.close", "code": POLICY_VIOLATION})


def expected_account_sid() -> str:
    """The account whose streams we take: TWILIO_ACCOUNT_SID, or the simulator's account under TELEPHONY=sim.

    Twilio names the account in every Media Streams `start` message (accountSid; Twilio docs, "Media Streams -
    WebSocket Messages", Start message)."""
    if settings.TELEPHONY == "signalwire":  # SignalWire names the Project ID (its Twilio-compatible start message)
        return settings.SIGNALWIRE_PROJECT_ID
    if settings.TWILIO_ACCOUNT_SID:
        return settings.TWILIO_ACCOUNT_SID
    from voice.telephony.sim import SIM_ACCOUNT_SID

    return SIM_ACCOUNT_SID


async def _claim(call_id: int, start: ms.Start) -> str:
    """Why this `start` may not open the call's stream, or "" when the stream now owns the call."""
    if start.account_sid != expected_account_sid():
        return f"call {call_id}: start names another account"
    if not await db.run(records.claim_media, call_id, start.call_sid, timezone.now()):
        return f"call {call_id}: stream already claimed, call not live, or callSid not the call's"
    return ""


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
    if not drain.accepting():
        await _refuse(send, "this process is draining (SIGTERM)")
        return
    token = scope["path"][len("/media/") :].strip("/")
    try:
        call_id = read_media_token(token)
    except InvalidMediaToken:
        await _refuse(send, "bad or expired token")  # not the exception's text: it quotes the signature
        return
    info = await db.run(records.load_live_call, call_id)
    if info is None:
        await _refuse(send, f"call {call_id} is not live")
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
                    refusal = await _claim(call_id, event)
                    if refusal:
                        transport.closed = True
                        await _refuse(send, refusal)
                        return
                    transport.stream_sid = event.stream_sid
                    session = CallSession(info, transport)
                    drain.track(session)
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
            try:
                await session.close(caller_hung_up=caller_hung_up)
            finally:
                drain.untrack(session)
        if malformed > LOGGED_MALFORMED:
            log.warning("call %s: %d malformed frames in all", call_id, malformed)
        if not transport.closed:
            transport.closed = True
            try:
                await send({"type": "websocket.close", "code": 1000})
            except Exception:
                pass
