"""Simulated telephony: dials nobody, yet behaves like Twilio towards Parley.

Each dial plays out on a background asyncio loop (a daemon thread of the dialing process): signed status
callbacks (initiated, ringing, in-progress, completed / busy / no-answer) and the async AMD callback go to
the webhooks, and an answered call starts a simulated callee that connects to the media WebSocket as Twilio
would. The lead's persona (`lead.attributes["persona"]`, or settings.SIM_TELEPHONY_PERSONA for every call)
decides: "no_answer" and "busy" never reach media; "voicemail" is answered by a machine; "fax" by a fax
(AnsweredBy=fax, no media); "answer_and_hold"
answers and hangs up after SIM_TELEPHONY_HOLD_SECONDS without media (benchmarks); "invalid_number" is
refused like Twilio error 21211; every other persona is a human talking through `voice.sim.callee`.

What the "provider" received is kept in a ledger (voice/telephony/sim_ledger.py; Redis when REDIS_URL is set, so
every process shares it), which `fetch` and `find_placed` read, and which benchmarks audit.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from twilio.request_validator import RequestValidator

from .base import DialRequest, InvalidNumberError, ProviderCall
from .sim_ledger import Ledger, process_alive

log = logging.getLogger(__name__)

SIM_AUTH_TOKEN = "sim-auth-token"
SIM_ACCOUNT_SID = "ACsimulated"
DEFAULT_PERSONA = "books_meeting"
NO_MEDIA_PERSONAS = {"no_answer", "busy", "answer_and_hold", "fax"}
TERMINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
HANGUP_GRACE_SECONDS = 2.0


def auth_token() -> str:
    return settings.TWILIO_AUTH_TOKEN or SIM_AUTH_TOKEN


def account_sid() -> str:
    return settings.TWILIO_ACCOUNT_SID or SIM_ACCOUNT_SID


@dataclass
class SimCall:
    sid: str
    request: DialRequest
    persona: str
    status: str = "queued"
    answered_by: str = ""
    answered_at: float | None = None
    sequence: int = 0
    hangup: asyncio.Event | None = None
    transferred_to: str = ""
    events: list[str] = field(default_factory=list)


class SimTelephony:
    name = "sim"

    def __init__(self) -> None:
        self.ledger = Ledger()
        self.validator = RequestValidator(auth_token())
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_pid = 0
        self._calls: dict[str, SimCall] = {}
        self._http = None
        self.transfers: list[dict[str, Any]] = []  # warm transfers asked of this process (rep legs rung)

    # --- the Telephony contract -------------------------------------------------------------------
    def place_call(self, request: DialRequest) -> str:
        persona = settings.SIM_TELEPHONY_PERSONA or _persona_of(request.call_id)
        if persona == "invalid_number":
            raise InvalidNumberError(f"Twilio 21211: The 'To' number {request.to} is not a valid phone number.")
        sid = "CA" + uuid.uuid4().hex
        self.ledger.record_dial(
            {
                "sid": sid,
                "call_id": request.call_id,
                "to": request.to,
                "from": request.from_,
                "at": time.time(),
                "pid": os.getpid(),
                "host": socket.gethostname(),
            }
        )
        call = SimCall(sid=sid, request=request, persona=persona)
        with self._lock:
            self._calls[sid] = call
        asyncio.run_coroutine_threadsafe(self._play(call), self._ensure_loop())
        return sid

    def hangup(self, sid: str) -> None:
        call = self._calls.get(sid)
        if call is not None and call.hangup is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(call.hangup.set)

    def transfer(self, sid: str, to: str) -> None:
        call = self._calls.get(sid)
        if call is not None:
            call.transferred_to = to
            self.ledger.record_status(sid, transferred_to=to)
        self.hangup(sid)

    def redirect(self, sid: str, twiml: str) -> None:
        """The call's TwiML is replaced: its media stream (if any) ends, as Twilio's does."""
        self.ledger.record_status(sid, redirected=twiml[:500])
        self.hangup(sid)

    def warm_transfer(self, sid: str, *, to: str, from_: str, whisper: str, room: str, hold: str,
                      status_callback_url: str, ring_timeout: int = 20) -> str:
        """Rings the rep's simulated phone (signed status callbacks: ringing, in-progress), which "hears"
        `whisper`; the caller's media stream ends as the caller is moved into the conference."""
        from voice.sim.inbound import rep_leg

        rep_sid = "CA" + uuid.uuid4().hex
        self.transfers.append({"caller_sid": sid, "rep_sid": rep_sid, "to": to, "from": from_, "whisper": whisper,
                               "room": room, "hold": hold})
        self.ledger.record_status(sid, transferred_to=to, whisper=whisper, room=room)
        call = self._calls.get(sid)
        if call is not None:
            call.transferred_to = to
        asyncio.run_coroutine_threadsafe(rep_leg(self, rep_sid, to, from_, status_callback_url), self._ensure_loop())
        self.hangup(sid)
        return rep_sid

    def ring_inbound(self, to: str, from_: str, persona: str, incoming_url: str, status_url: str):
        """A simulated person rings our number `to` from `from_` and talks as `persona` (voice/sim/inbound.py);
        returns a concurrent.futures.Future of the caller's `InboundResult`."""
        from voice.sim.inbound import play_inbound

        sid = "CA" + uuid.uuid4().hex
        request = DialRequest(call_id=0, to=to, from_=from_, stream_url="", status_callback_url=status_url,
                              amd_callback_url="", ring_timeout=0, machine_detection=False)
        call = SimCall(sid=sid, request=request, persona=persona)
        with self._lock:
            self._calls[sid] = call
        return asyncio.run_coroutine_threadsafe(play_inbound(self, call, incoming_url), self._ensure_loop())

    def fetch(self, sid: str) -> ProviderCall:
        call = self._calls.get(sid)
        if call is not None:
            return ProviderCall(sid, call.status, self._duration(call), call.answered_by)
        record = self.ledger.call(sid)
        if record is None:
            from .base import CallNotFoundError

            raise CallNotFoundError(f"Twilio 20404: call {sid} not found")
        status = record.get("status", "queued")
        if status not in TERMINAL and not process_alive(int(record.get("pid", 0)), record.get("host", "")):
            # The simulator holding this line died with its process: the line dropped.
            status = "completed" if record.get("answered") == "1" else "canceled"
        duration = int(record["duration"]) if record.get("duration", "").isdigit() else None
        return ProviderCall(sid, status, duration, record.get("answered_by", ""))

    def find_placed(
        self, call_id: int, to: str, since: datetime, *, from_: str = "", taken=()
    ) -> ProviderCall | None:
        """The simulator's ledger is keyed by our call id, so the lookup is exact."""
        sid = self.ledger.sid_of(call_id)
        return self.fetch(sid) if sid and sid not in set(taken) else None

    def validate_webhook(self, url: str, params: dict[str, str], signature: str) -> bool:
        return bool(signature) and self.validator.validate(url, params, signature)

    def in_flight(self) -> int:
        """Simulated lines still up in this process."""
        with self._lock:
            return len(self._calls)

    # --- the simulated line -----------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop_pid != os.getpid() or not self._loop.is_running():
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                threading.Thread(target=run, name="sim-telephony", daemon=True).start()
                ready.wait()
                self._loop, self._loop_pid, self._http = loop, os.getpid(), None
            return self._loop

    def _duration(self, call: SimCall) -> int | None:
        if call.answered_at is None:
            return 0 if call.status in TERMINAL else None
        return max(1, round(time.monotonic() - call.answered_at))

    async def _play(self, call: SimCall) -> None:
        call.hangup = asyncio.Event()
        try:
            await self._status(call, "initiated")
            if call.persona == "busy":
                await self._status(call, "busy", CallDuration="0")
                return
            await self._status(call, "ringing")
            if await _wait(call.hangup, settings.SIM_TELEPHONY_RING_SECONDS):
                await self._status(call, "canceled", CallDuration="0")
                return
            if call.persona == "no_answer":
                await self._status(call, "no-answer", CallDuration="0")
                return
            call.answered_at = time.monotonic()
            self.ledger.record_status(call.sid, answered="1")
            await self._status(call, "in-progress")
            call.answered_by = {"voicemail": "machine_end_beep", "fax": "fax"}.get(call.persona, "human")
            await self._amd(call)
            if call.persona == "fax":  # a fax tone: no one to talk to; Parley hangs up on the AMD verdict
                await _wait(call.hangup, settings.SIM_TELEPHONY_HOLD_SECONDS)
            elif call.persona == "answer_and_hold":
                await _wait(call.hangup, settings.SIM_TELEPHONY_HOLD_SECONDS)
            else:
                await self._converse(call)
            await self._status(call, "completed", CallDuration=str(self._duration(call)))
        except Exception:
            log.exception("Simulated call %s broke", call.sid)
            if call.status not in TERMINAL:
                await self._status(call, "completed", CallDuration=str(self._duration(call) or 0))
        finally:
            with self._lock:
                self._calls.pop(call.sid, None)

    async def _converse(self, call: SimCall) -> None:
        try:
            from voice.sim.callee import run_callee
        except ImportError:
            log.warning("voice.sim.callee is not available: simulated call %s holds without media", call.sid)
            await _wait(call.hangup, settings.SIM_TELEPHONY_HOLD_SECONDS)
            return
        callee = asyncio.ensure_future(
            run_callee(
                call.request.stream_url,
                call.sid,
                call.persona,
                account_sid=account_sid(),
                custom_parameters={"call_id": str(call.request.call_id)},
            )
        )
        hung_up = asyncio.ensure_future(call.hangup.wait())
        await asyncio.wait({callee, hung_up}, return_when=asyncio.FIRST_COMPLETED)
        if not callee.done():
            # We hung up (REST hangup/transfer): the media stream stops as Twilio's would.
            done, _ = await asyncio.wait({callee}, timeout=HANGUP_GRACE_SECONDS)
            if not done:
                callee.cancel()
        hung_up.cancel()
        if callee.done() and not callee.cancelled() and callee.exception() is not None:
            log.warning("Simulated callee of %s failed: %r", call.sid, callee.exception())

    async def _status(self, call: SimCall, status: str, **extra: str) -> None:
        call.status = status
        call.sequence += 1
        call.events.append(status)
        record = {"status": status}
        if "CallDuration" in extra:
            record["duration"] = extra["CallDuration"]
        self.ledger.record_status(call.sid, **record)
        params = {
            **self._common(call),
            "CallStatus": status,
            "SequenceNumber": str(call.sequence - 1),
            "CallbackSource": "call-progress-events",
            "Timestamp": email.utils.formatdate(usegmt=True),
            **extra,
        }
        await self._send(call.request.status_callback_url, params)

    async def _amd(self, call: SimCall) -> None:
        self.ledger.record_status(call.sid, answered_by=call.answered_by)
        params = {**self._common(call), "AnsweredBy": call.answered_by, "MachineDetectionDuration": "1800"}
        await self._send(call.request.amd_callback_url, params)

    def _common(self, call: SimCall) -> dict[str, str]:
        return {
            "AccountSid": account_sid(),
            "CallSid": call.sid,
            "From": call.request.from_,
            "To": call.request.to,
            "Direction": "outbound-api",
            "ApiVersion": "2010-04-01",
        }

    async def _send(self, url: str, params: dict[str, str]) -> None:
        signature = self.validator.compute_signature(url, params)
        if settings.SIM_TELEPHONY_CALLBACKS == "direct":
            await asyncio.get_running_loop().run_in_executor(None, _deliver_in_process, url, params, signature)
            return
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        try:
            response = await self._http.post(url, data=params, headers={"X-Twilio-Signature": signature})
            if response.status_code >= 400:
                log.warning("Callback %s answered %s", url, response.status_code)
        except httpx.HTTPError as exc:
            log.warning("Callback %s failed: %s", url, exc)


def _deliver_in_process(url: str, params: dict[str, str], signature: str) -> None:
    """Run the webhook view in this process, signature check included: the same path as HTTP, minus a server."""
    from django.db import close_old_connections
    from django.test import RequestFactory
    from django.urls import resolve

    path = urlsplit(url).path
    request = RequestFactory().post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)
    match = resolve(path)
    try:
        response = match.func(request, *match.args, **match.kwargs)
        if response.status_code >= 400:
            log.warning("Callback %s answered %s", path, response.status_code)
    except Exception:
        log.exception("Callback %s failed", path)
    finally:
        close_old_connections()  # as after any request: honours CONN_MAX_AGE (DATABASE_URL ?conn_max_age=)


def _persona_of(call_id: int) -> str:
    from crm.models import Call

    attributes = Call.objects.filter(pk=call_id).values_list("lead__attributes", flat=True).first() or {}
    return str(attributes.get("persona") or DEFAULT_PERSONA)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """True when `event` fired within `seconds`."""
    try:
        await asyncio.wait_for(event.wait(), timeout=max(0.0, seconds))
        return True
    except TimeoutError:
        return event.is_set()
