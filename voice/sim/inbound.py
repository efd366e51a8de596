"""Simulated inbound calls: a person rings one of our numbers, as Twilio would present it.

`play_inbound` posts the signed incoming-call webhook (CallSid, AccountSid, From, To, CallStatus=ringing,
Direction=inbound), reads the TwiML answer and does what it says: <Connect><Stream> → a simulated caller
(`voice.sim.callee.run_callee`, persona lines from `voice.sim.inbound_personas`) opens the media stream with the
`start` message Twilio sends; <Say>/<Hangup> → the message is "heard" and the line closes; <Dial> → forwarded.
Status reports (in-progress, completed with CallDuration) go, signed, to the number's status callback URL.
`rep_leg` plays a rep's phone in a warm transfer: ringing, then answered.
"""
from __future__ import annotations

import asyncio
import email.utils
import logging
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from voice.sim import inbound_personas  # noqa: F401 - registers the inbound personas

log = logging.getLogger(__name__)


@dataclass
class InboundResult:
    sid: str
    persona: str
    twiml: str = ""
    said: list[str] = field(default_factory=list)  # <Say> texts the caller heard before any stream
    streamed: bool = False
    dialed: str = ""
    status: int = 0  # HTTP status of the webhook


@dataclass(frozen=True)
class Instructions:
    stream_url: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    says: tuple[str, ...] = ()
    dial: str = ""
    hangup: bool = False


def read_twiml(text: str) -> Instructions:
    """What a TwiML answer tells the carrier to do (the verbs Parley answers with)."""
    root = ET.fromstring(text)
    stream = root.find("./Connect/Stream")
    dial = root.find("./Dial")
    parameters = stream.findall("Parameter") if stream is not None else []
    return Instructions(
        stream_url=stream.get("url", "") if stream is not None else "",
        parameters={p.get("name", ""): p.get("value", "") for p in parameters},
        says=tuple((s.text or "") for s in root.findall("./Say")),
        dial=(dial.text or "").strip() if dial is not None else "",
        hangup=root.find("./Hangup") is not None,
    )


def _common(tel, call) -> dict[str, str]:
    from voice.telephony.sim import account_sid

    return {
        "AccountSid": account_sid(),
        "CallSid": call.sid,
        "From": call.request.from_,
        "To": call.request.to,
        "Caller": call.request.from_,
        "Called": call.request.to,
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


async def _post(tel, url: str, params: dict[str, str]) -> tuple[int, str]:
    """POST a signed form the way Twilio does; (status, body)."""
    signature = tel.validator.compute_signature(url, params)
    if settings.SIM_TELEPHONY_CALLBACKS == "direct":
        return await asyncio.get_running_loop().run_in_executor(None, _in_process, url, params, signature)
    import httpx

    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    return response.status_code, response.text


def _in_process(url: str, params: dict[str, str], signature: str) -> tuple[int, str]:
    from django.db import close_old_connections
    from django.test import RequestFactory
    from django.urls import resolve

    path = urlsplit(url).path
    try:
        match = resolve(path)
        response = match.func(RequestFactory().post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature),
                              *match.args, **match.kwargs)
        return response.status_code, response.content.decode()
    finally:
        close_old_connections()


async def _status(tel, call, status: str, **extra: str) -> None:
    call.status = status
    call.sequence += 1
    tel.ledger.record_status(call.sid, status=status)
    params = {**_common(tel, call), "CallStatus": status, "SequenceNumber": str(call.sequence - 1),
              "Timestamp": email.utils.formatdate(usegmt=True), **extra}
    code, _ = await _post(tel, call.request.status_callback_url, params)
    if code >= 400:
        log.warning("Inbound status %s for %s answered %s", status, call.sid, code)


async def play_inbound(tel, call, incoming_url: str) -> InboundResult:
    """Ring our number as `call.persona`; returns once the line is closed (either side)."""
    from voice.sim.callee import run_callee

    result = InboundResult(sid=call.sid, persona=call.persona)
    call.hangup = asyncio.Event()
    started = time.monotonic()
    try:
        tel.ledger.record_dial({"sid": call.sid, "call_id": f"inbound:{call.sid}", "to": call.request.to,
                                "from": call.request.from_, "at": time.time(), "pid": 0, "host": "inbound"})
        result.status, result.twiml = await _post(tel, incoming_url, {**_common(tel, call), "CallStatus": "ringing"})
        if result.status >= 400:
            return result
        answer = read_twiml(result.twiml)
        result.said, result.dialed = list(answer.says), answer.dial
        if answer.stream_url:
            result.streamed = True
            await _status(tel, call, "in-progress")
            callee = asyncio.ensure_future(run_callee(
                answer.stream_url, call.sid, call.persona, account_sid=_common(tel, call)["AccountSid"],
                custom_parameters=answer.parameters,
            ))
            hung_up = asyncio.ensure_future(call.hangup.wait())
            await asyncio.wait({callee, hung_up}, return_when=asyncio.FIRST_COMPLETED)
            if not callee.done():  # our side ended the call (hang-up, transfer): the stream stops as Twilio's does
                done, _ = await asyncio.wait({callee}, timeout=2.0)
                if not done:
                    callee.cancel()
            hung_up.cancel()
        duration = max(1, round(time.monotonic() - started))
        await _status(tel, call, "completed", CallDuration=str(duration))
    except Exception:
        log.exception("Simulated inbound call %s broke", call.sid)
    finally:
        with tel._lock:
            tel._calls.pop(call.sid, None)
    return result


async def rep_leg(tel, sid: str, to: str, from_: str, status_url: str) -> None:
    """The rep's phone in a warm transfer: rings, is answered (hears the whisper, joins the conference)."""
    from voice.telephony.sim import account_sid

    for seq, status in enumerate(("ringing", "in-progress")):
        params = {"AccountSid": account_sid(), "CallSid": sid, "From": from_, "To": to, "CallStatus": status,
                  "Direction": "outbound-api", "ApiVersion": "2010-04-01", "SequenceNumber": str(seq)}
        try:
            await _post(tel, status_url, params)
        except Exception:
            log.exception("Rep leg %s: status %s not delivered", sid, status)
