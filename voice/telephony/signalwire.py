"""SignalWire telephony through its Twilio-compatible LaML (cXML) REST API, with the twilio SDK pointed at the space.

SignalWire documents its Compatibility API as a drop-in for Twilio's (https://developer.signalwire.com/
compatibility-api/rest/): same resources, same form fields (`MachineDetection`, `AsyncAmd`, `StatusCallbackEvent`,
`Twiml`), same status vocabulary, same `<Connect><Stream>` bidirectional media streams and the same stream messages
(`connected`, `start`, `media`, `mark`, `clear`, `stop`). Its own Python package (`signalwire` 2.1) is a thin
subclass of `twilio.rest.Client` that sets `api.base_url` to `https://<space>` — and pins twilio 6.54, which
conflicts with the twilio 9 Parley uses — so this adapter does what that package does with the twilio SDK we pin:
account = Project ID, password = API token, `api.base_url` = the space URL (`SIGNALWIRE_SPACE_URL`).

Webhooks differ: SignalWire signs them with the project's Signing Key (not the API token) in the
`X-SignalWire-Signature` header, HMAC-SHA1 over the URL followed by the sorted form parameters, base64 — Twilio's
scheme with another key (https://developer.signalwire.com/guides/webhook-security); SignalWire's own SDKs also
accept the signature in `X-Twilio-Signature` for cXML compatibility, and so does `signature_from`.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from twilio.request_validator import RequestValidator

from .twilio import TwilioTelephony

SIGNATURE_HEADERS = ("X-SignalWire-Signature", "X-Twilio-Signature")


def space_base_url(space_url: str) -> str:
    """`example.signalwire.com` or a full URL (an emulator's `http://127.0.0.1:P`) as the REST base URL."""
    space = space_url.strip().rstrip("/")
    if not urlsplit(space).scheme:
        space = "https://" + space
    return space


class SignalWireTelephony(TwilioTelephony):
    name = "signalwire"
    signature_headers = SIGNATURE_HEADERS

    def __init__(self, project_id: str, api_token: str, space_url: str, signing_key: str,
                 timeout: float | None = None) -> None:
        super().__init__(project_id, api_token, space_base_url(space_url), timeout=timeout)
        self.validator = RequestValidator(signing_key)
