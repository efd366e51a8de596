"""The Twilio REST API (Calls) on 127.0.0.1: records what the SDK sends, answers like Twilio, calls back signed.

- `POST /2010-04-01/Accounts/{sid}/Calls.json` (Basic auth, form body): creates a call, answers 201 JSON.
- `GET  …/Calls.json?To=…&StartTime>=…`: lists calls; `GET …/Calls/{CallSid}.json`: fetches one (sweeper).
- `POST …/Calls/{CallSid}.json`: `Status=completed|canceled` hangs up, `Twiml=` redirects (transfer).
- `GET  …/Calls.json` filters like Twilio: `To`, `From`, `Status`, `StartTime` / `StartTime>` / `StartTime<`
  (date granularity, YYYY-MM-DD…; the emulator compares the creation date, UTC). Nothing else: Twilio's
  Call resource does not echo the StatusCallback URL, so neither does this.
- Faults: `fail_next(status, code, message)` answers the next create with a Twilio error (429/5xx, 21211…);
  `accept_then(kind)` creates the call and then answers badly: "5xx" (500 after accepting), "timeout"
  (holds the answer `hold_seconds`, then drops the connection), "reset" (drops the connection at once);
  `chaos(share, kinds)` does one of those to a random `share` of creates.
- Incoming calls: `incoming(to, from_, voice_url, status_callback=…)` makes an inbound call (direction
  "inbound") to one of the account's numbers and builds the signed incoming-call webhook Twilio posts to the
  number's Voice URL (CallSid, AccountSid, From, To, CallStatus=ringing, Direction=inbound, Caller, Called);
  `deliver` posts it; `answered(sid, twiml)` records the TwiML the application answered with.
- Callbacks: `callback(sid, status, …)` / `amd_callback(sid, answered_by)` build the signed form post Twilio
  would send to the URLs the call was created with (X-Twilio-Signature via RequestValidator); `deliver`
  posts it, optionally to another host than the public URL (the signature stays over the public URL).

The call records and Twilio's JSON shapes are in tests/emulators/twilio_calls.py, the HTTP handler in
tests/emulators/twilio_http.py.

Standalone: `python -m tests.emulators.twilio_rest --port 8102`.
"""
from __future__ import annotations

import argparse
import email.utils
import random
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
from twilio.request_validator import RequestValidator

from .twilio_calls import API, TERMINAL, EmulatedCall, error_body
from .twilio_http import DropConnection, Recorded, RequestHandler


@dataclass
class Fault:
    status: int
    code: int
    message: str
    times: int = 1
    after_accept: str = ""  # "", "5xx", "timeout" or "reset": the call is created, then the answer goes wrong


class TwilioEmulator:
    def __init__(self, account_sid: str = "AC" + "1" * 32, auth_token: str = "emulator-auth-token") -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[Recorded] = []
        self.calls: dict[str, EmulatedCall] = {}
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._changed = threading.Condition(self._lock)
        self.hold_seconds = 1.0
        self._chaos: tuple[float, tuple[str, ...]] = (0.0, ())
        self._random = random.Random(7)
        self.accepted_then_failed: list[str] = []  # sids of calls created whose answer went wrong
        self.on_create: Any = None  # called with each EmulatedCall created (a carrier that plays it), under lock

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self, port: int = 0) -> TwilioEmulator:
        emulator = self

        class Handler(RequestHandler):
            pass

        Handler.emulator = emulator
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="twilio-emulator", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- test controls ----------------------------------------------------------------------------
    def fail_next(self, status: int, code: int, message: str = "Emulated failure", times: int = 1) -> None:
        with self._lock:
            self.faults.append(Fault(status, code, message, times))

    def accept_then(self, kind: str, times: int = 1) -> None:
        """The next `times` creates make the call, then answer "5xx", time out ("timeout") or "reset"."""
        assert kind in ("5xx", "timeout", "reset"), kind
        with self._lock:
            self.faults.append(Fault(500, 20500, "Internal Server Error", times, after_accept=kind))

    def chaos(self, share: float, kinds: tuple[str, ...] = ("5xx", "timeout")) -> None:
        """A random `share` (0..1) of creates is accepted and then answered with one of `kinds`."""
        with self._lock:
            self._chaos = (share, kinds)

    def creates(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Calls.json")]

    def wait_for_creates(self, count: int, timeout: float = 5.0) -> list[Recorded]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.creates_unlocked()) >= count, timeout=timeout)
            return self.creates_unlocked()

    def creates_unlocked(self) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/Calls.json")]

    def set_state(self, sid: str, status: str, duration: int | None = None, answered_by: str | None = None) -> None:
        """What Twilio's own record says (read by fetch), without sending a callback."""
        with self._lock:
            call = self.calls[sid]
            call.status = status
            if status in TERMINAL and call.ended is None:
                call.ended = time.time()
            if duration is not None:
                call.duration = duration
            if answered_by is not None:
                call.answered_by = answered_by

    def callback(self, sid: str, status: str, **extra: str) -> tuple[str, dict[str, str], str]:
        """(url, params, signature) of the status callback Twilio would send now; updates the call's record."""
        with self._lock:
            call = self.calls[sid]
            if status in TERMINAL or status in ("ringing", "in-progress"):
                call.status = status
            if status in TERMINAL and call.ended is None:
                call.ended = time.time()
            if "CallDuration" in extra:
                call.duration = int(extra["CallDuration"])
            call.sequence += 1
            url = call.get("StatusCallback") or ""
            params = {
                **self._common(call),
                "CallStatus": status,
                "SequenceNumber": str(call.sequence - 1),
                "CallbackSource": "call-progress-events",
                "Timestamp": email.utils.formatdate(usegmt=True),
                **extra,
            }
        return url, params, self.sign(url, params)

    def incoming(
        self, to: str, from_: str, voice_url: str, status_callback: str = ""
    ) -> tuple[str, dict[str, str], str]:
        """A caller rings our number `to`: the call (direction inbound) and the signed webhook Twilio would post to
        the number's Voice URL (https://www.twilio.com/docs/voice/twiml#twilios-request-to-your-application)."""
        with self._lock:
            form = [("To", to), ("From", from_), ("Url", voice_url)]
            if status_callback:
                form.append(("StatusCallback", status_callback))
            call = EmulatedCall(sid="CA" + uuid.uuid4().hex, account_sid=self.account_sid, form=form,
                                status="ringing", direction="inbound")
            self.calls[call.sid] = call
            params = {**self._common(call), "CallStatus": "ringing", "Caller": from_, "Called": to}
        return voice_url, params, self.sign(voice_url, params)

    def answered(self, sid: str, twiml: str) -> None:
        with self._lock:
            self.calls[sid].twiml = twiml
            if "<Connect>" in twiml or "<Dial>" in twiml:
                self.calls[sid].status = "in-progress"

    def amd_callback(self, sid: str, answered_by: str) -> tuple[str, dict[str, str], str]:
        with self._lock:
            call = self.calls[sid]
            call.answered_by = answered_by
            url = call.get("AsyncAmdStatusCallback") or ""
            params = {**self._common(call), "AnsweredBy": answered_by, "MachineDetectionDuration": "2150"}
        return url, params, self.sign(url, params)

    def sign(self, url: str, params: dict[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def deliver(self, signed: tuple[str, dict[str, str], str], to_base: str | None = None) -> httpx.Response:
        """POST a signed callback; `to_base` sends it to another host (e.g. a live server behind the public URL)."""
        url, params, signature = signed
        target = url
        if to_base:
            parts = urlsplit(url)
            target = to_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        return httpx.post(target, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)

    def _common(self, call: EmulatedCall) -> dict[str, str]:
        return {
            "AccountSid": call.account_sid,
            "CallSid": call.sid,
            "From": call.get("From") or "",
            "To": call.get("To") or "",
            "Direction": call.direction,
            "ApiVersion": "2010-04-01",
        }

    # --- request handling (called from the server's threads) --------------------------------------
    def handle(self, method: str, path: str, auth: tuple[str, str] | None, form, query) -> tuple[int, dict]:
        with self._changed:
            self.requests.append(Recorded(method, path, auth, form, query))
            self._changed.notify_all()
            if not path.startswith(API):
                return 404, error_body(404, 20404, "The requested resource was not found")
            account, _, rest = path[len(API) :].partition("/")
            if auth != (self.account_sid, self.auth_token) or account != self.account_sid:
                return 401, error_body(401, 20003, "Authenticate")
            if rest == "Calls.json" and method == "POST":
                return self._create(form)
            if rest == "Calls.json" and method == "GET":
                return 200, self._list(query)
            if rest.startswith("Calls/") and rest.endswith(".json"):
                sid = rest[len("Calls/") : -len(".json")]
                call = self.calls.get(sid)
                if call is None:
                    return 404, error_body(404, 20404, f"The requested resource {path} was not found")
                if method == "POST":
                    self._update(call, dict(form))
                return 200, call.as_json()
            return 404, error_body(404, 20404, "The requested resource was not found")

    def _create(self, form: list[tuple[str, str]]) -> tuple[int, dict]:
        after_accept = ""
        if self.faults:
            fault = self.faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self.faults.pop(0)
            if not fault.after_accept:
                return fault.status, error_body(fault.status, fault.code, fault.message)
            after_accept = fault.after_accept
        elif self._chaos[0] and self._random.random() < self._chaos[0]:
            after_accept = self._random.choice(self._chaos[1])
        fields = dict(form)
        for name in ("To", "From"):
            if not fields.get(name):
                return 400, error_body(400, 21201 if name == "To" else 21213, f"No '{name}' number is specified")
        if not (fields.get("Twiml") or fields.get("Url") or fields.get("ApplicationSid")):
            return 400, error_body(400, 21205, "Url, Twiml or ApplicationSid is required")
        call = EmulatedCall(sid="CA" + uuid.uuid4().hex, account_sid=self.account_sid, form=form)
        self.calls[call.sid] = call
        if self.on_create is not None:
            self.on_create(call)
        if after_accept:
            self.accepted_then_failed.append(call.sid)
            if after_accept == "5xx":
                return 500, error_body(500, 20500, "Internal Server Error")
            raise DropConnection(self.hold_seconds if after_accept == "timeout" else 0.0)
        return 201, call.as_json()

    def _list(self, query: list[tuple[str, str]]) -> dict:
        wanted = dict(query)

        def day(call: EmulatedCall) -> str:
            return time.strftime("%Y-%m-%d", time.gmtime(call.created))

        def keep(call: EmulatedCall) -> bool:
            checks = [
                ("To", lambda v: call.get("To") == v),
                ("From", lambda v: call.get("From") == v),
                ("Status", lambda v: call.status == v),
                ("StartTime", lambda v: day(call) == v[:10]),
                ("StartTime>", lambda v: day(call) >= v[:10]),
                ("StartTime<", lambda v: day(call) <= v[:10]),
            ]
            return all(test(wanted[name]) for name, test in checks if name in wanted)

        calls = [c.as_json() for c in self.calls.values() if keep(c)]
        uri = f"{API}{self.account_sid}/Calls.json"
        return {
            "calls": calls,
            "end": max(0, len(calls) - 1),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    def _update(self, call: EmulatedCall, fields: dict[str, str]) -> None:
        if fields.get("Status") in ("completed", "canceled") and call.status not in TERMINAL:
            call.status = fields["Status"]
            call.ended = time.time()
        call.form = [*call.form, *((f"Update.{k}", v) for k, v in fields.items())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--account-sid", default="AC" + "1" * 32)
    parser.add_argument("--auth-token", default="emulator-auth-token")
    args = parser.parse_args()
    emulator = TwilioEmulator(args.account_sid, args.auth_token).start(args.port)
    print(f"Twilio REST emulator listening on {emulator.base_url} (account {args.account_sid})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
