"""Twilio telephony through the official SDK: dial with async AMD and a <Connect><Stream>, hang up, transfer, fetch.

`base_url` points the SDK at a local emulator of the REST API in tests (settings.TWILIO_API_BASE_URL).
"""
from __future__ import annotations

import datetime as dt
import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from .base import (
    CallerIdError,
    CallNotFoundError,
    DialRequest,
    InvalidNumberError,
    PermanentTelephonyError,
    ProviderCall,
    TelephonyError,
    TransientTelephonyError,
    UnknownOutcomeError,
)

log = logging.getLogger(__name__)
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs every request's headers at INFO

STATUS_EVENTS = ["initiated", "ringing", "answered", "completed"]
# Twilio error codes (https://www.twilio.com/docs/api/errors) by what they mean for the dialer.
INVALID_NUMBER_CODES = {21211, 21214, 21215, 21216, 21217, 21401, 21421, 21612, 13224, 13225}
CALLER_ID_CODES = {21210, 21212, 21213, 21606, 13214}
TRANSIENT_CODES = {20429, 20500, 20503, 31005, 31009}
HTTP_TIMEOUT_SECONDS = 10.0  # settings.TWILIO_HTTP_TIMEOUT_SECONDS overrides


def stream_twiml(stream_url: str, call_id: int) -> str:
    """<Response><Connect><Stream url=…><Parameter name="call_id" …/></Stream></Connect></Response>."""
    response = VoiceResponse()
    connect = response.connect()
    stream = connect.stream(url=stream_url)
    stream.parameter(name="call_id", value=str(call_id))
    return str(response)


def classify(exc: TwilioRestException, *, creating: bool = False) -> TelephonyError:
    """What an error answer means. When `creating` a call, a 5xx cannot prove the call was not created
    (Twilio may fail after accepting it): UnknownOutcomeError. A 429 (20429) proves it was refused."""
    code = exc.code or 0
    reason = f"Twilio {code or exc.status}: {exc.msg}"
    if code == 20404:
        return CallNotFoundError(reason)
    if creating and exc.status >= 500:
        return UnknownOutcomeError(reason)
    if code in INVALID_NUMBER_CODES:
        return InvalidNumberError(reason)
    if code in CALLER_ID_CODES:
        return CallerIdError(reason)
    if code in TRANSIENT_CODES or exc.status == 429 or exc.status >= 500:
        return TransientTelephonyError(reason)
    return PermanentTelephonyError(reason)


class TwilioTelephony:
    name = "twilio"
    signature_headers: tuple[str, ...] = ("X-Twilio-Signature",)  # where webhooks carry the provider's signature

    def __init__(
        self, account_sid: str, auth_token: str, base_url: str | None = None, timeout: float | None = None
    ) -> None:
        from django.conf import settings

        timeout = timeout or getattr(settings, "TWILIO_HTTP_TIMEOUT_SECONDS", HTTP_TIMEOUT_SECONDS)
        self.auth_token = auth_token
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)

    def _call(self, fn, *args, creating: bool = False, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TwilioRestException as exc:
            raise classify(exc, creating=creating) from exc
        except ValueError as exc:  # an answer that is not JSON (cut off): the provider's state is unknown
            if creating:
                raise UnknownOutcomeError(f"{self.name}: malformed answer to the dial ({exc})") from exc
            raise TransientTelephonyError(f"{self.name}: malformed answer ({exc})") from exc
        except (TwilioException, OSError) as exc:  # requests' connection errors and timeouts are OSErrors
            if creating and not nothing_sent(exc):
                raise UnknownOutcomeError(f"Twilio may have received the dial: {exc}") from exc
            raise TransientTelephonyError(f"Twilio unreachable: {exc}") from exc

    def place_call(self, request: DialRequest) -> str:
        extra = {}
        if request.machine_detection:
            extra = {
                "machine_detection": "DetectMessageEnd",
                "async_amd": "true",
                "async_amd_status_callback": request.amd_callback_url,
                "async_amd_status_callback_method": "POST",
            }
        call = self._call(
            self.client.calls.create,
            to=request.to,
            from_=request.from_,
            twiml=stream_twiml(request.stream_url, request.call_id),
            status_callback=request.status_callback_url,
            status_callback_event=STATUS_EVENTS,
            status_callback_method="POST",
            timeout=request.ring_timeout,
            creating=True,
            **extra,
        )
        return call.sid

    def hangup(self, sid: str) -> None:
        self._call(self.client.calls(sid).update, status="completed")

    def transfer(self, sid: str, to: str) -> None:
        response = VoiceResponse()
        response.dial(to)
        self._call(self.client.calls(sid).update, twiml=str(response))

    def redirect(self, sid: str, twiml: str) -> None:
        """Replace what a live call is doing with `twiml` (POST Calls/{sid} Twiml=)."""
        self._call(self.client.calls(sid).update, twiml=twiml)

    def warm_transfer(
        self, sid: str, *, to: str, from_: str, whisper: str, room: str, hold: str, status_callback_url: str,
        ring_timeout: int = 20,
    ) -> str:
        """Ring `to` first with TwiML that says `whisper` and then joins conference `room` (starting it), then
        move the caller's leg `sid` into `room` (it says `hold` and waits). Returns the rep leg's sid."""
        from . import twiml as markup

        rep = self._call(
            self.client.calls.create,
            to=to,
            from_=from_,
            twiml=markup.conference(room, say=whisper, starts=True),
            status_callback=status_callback_url,
            status_callback_event=STATUS_EVENTS,
            status_callback_method="POST",
            timeout=ring_timeout,
        )
        self.redirect(sid, markup.conference(room, say=hold, starts=False))
        return rep.sid

    def fetch(self, sid: str) -> ProviderCall:
        call = self._call(self.client.calls(sid).fetch)
        return _provider_call(call)

    def find_placed(
        self, call_id: int, to: str, since: dt.datetime, *, from_: str = "", taken=()
    ) -> ProviderCall | None:
        """See `Telephony.find_placed`. Lists `GET /Calls.json?To=&From=&StartTime>=<date>` (Twilio filters by
        date only, https://www.twilio.com/docs/voice/api/call-resource#read-multiple-call-resources) and keeps
        calls created at or after `since` that no other Parley call owns; the earliest such is ours."""
        filters = {"to": to, "start_time_after": since.date()}
        if from_:
            filters["from_"] = from_
        calls = self._call(self.client.calls.list, limit=50, **filters)
        skip = set(taken)
        recent = [
            c for c in calls if (c.date_created is None or c.date_created >= since) and c.sid not in skip
        ]
        recent.sort(key=lambda c: c.date_created or since)
        return _provider_call(recent[0]) if recent else None

    def validate_webhook(self, url: str, params: dict[str, str], signature: str) -> bool:
        return bool(signature) and self.validator.validate(url, params, signature)


def nothing_sent(exc: BaseException) -> bool:
    """True only for errors that prove the request never reached Twilio: DNS failure, refused or timed-out
    connect. A read timeout or a connection reset after sending proves nothing (urllib3/requests taxonomy)."""
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(exc, requests.exceptions.ReadTimeout):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # MaxRetryError wraps the cause
        return isinstance(reason, NewConnectionError)
    return isinstance(exc, ConnectionRefusedError)


def _provider_call(call) -> ProviderCall:
    duration = int(call.duration) if call.duration not in (None, "") else None
    return ProviderCall(
        sid=call.sid,
        status=call.status,
        duration=duration,
        answered_by=call.answered_by or "",
        created=call.date_created,
    )
