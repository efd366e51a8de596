"""SignalWire's LaML (cXML) REST API on 127.0.0.1: the Twilio-compatible Calls API of a SignalWire space.

What differs from Twilio (tests/emulators/twilio_rest.py, which this extends):
- the account is the Project ID and the password the API token (Basic auth), at the space's host; paths are
  Twilio's, `/2010-04-01/Accounts/{ProjectID}/Calls.json`, as the `signalwire` SDK's compatibility client sends
  them (`signalwire/rest/__init__.py` sets the twilio client's `api.base_url` to `https://<space>`), and also under
  SignalWire's documented prefix `/api/laml/2010-04-01/…`
  (https://developer.signalwire.com/compatibility-api/rest/);
- callbacks are signed with the project's Signing Key (not the API token) and sent in `X-SignalWire-Signature`:
  HMAC-SHA1 over the URL followed by the sorted form parameters, base64, the scheme Twilio uses
  (https://developer.signalwire.com/guides/webhook-security).

Standalone: `python -m tests.emulators.signalwire_rest --port 8107`.
"""
from __future__ import annotations

import argparse
import json
import time

import httpx
from twilio.request_validator import RequestValidator

from .twilio_rest import TwilioEmulator

LAML_PREFIX = "/api/laml"


class SignalWireEmulator(TwilioEmulator):
    def __init__(self, project_id: str = "b1a3c6f0-5e5f-4a51-9d6a-0c6b0f3c1e7a", api_token: str = "PT" + "7" * 48,
                 signing_key: str = "PSK_" + "5" * 24) -> None:
        super().__init__(account_sid=project_id, auth_token=api_token)
        self.signing_key = signing_key
        self.malformed = 0  # the next N requests are answered 200 with a body cut off mid-JSON

    def malformed_next(self, times: int = 1) -> None:
        self.malformed = times

    @property
    def project_id(self) -> str:
        return self.account_sid

    def handle(self, method, path, auth, form, query):
        if path.startswith(LAML_PREFIX + "/"):
            path = path[len(LAML_PREFIX):]
        status, payload = super().handle(method, path, auth, form, query)
        if self.malformed and status < 300:
            self.malformed -= 1
            return status, json.dumps(payload).encode()[:40]
        return status, payload

    def sign(self, url: str, params: dict[str, str]) -> str:
        return RequestValidator(self.signing_key).compute_signature(url, params)

    def deliver(self, signed, to_base: str | None = None) -> httpx.Response:
        url, params, signature = signed
        target = url
        if to_base:
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            target = to_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        return httpx.post(target, data=params, headers={"X-SignalWire-Signature": signature}, timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8107)
    args = parser.parse_args()
    emulator = SignalWireEmulator().start(args.port)
    print(f"signalwire emulator listening on {emulator.base_url} (project {emulator.project_id})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
