"""The HTTP/1.1 side of the Twilio REST emulator (tests/emulators/twilio_rest.py): the request handler that parses
Basic auth, the form body and the query for the emulator and writes its JSON answer (or drops the connection), and
the record of each request it received.
"""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    from .twilio_rest import TwilioEmulator


@dataclass
class Recorded:
    method: str
    path: str
    auth: tuple[str, str] | None
    form: list[tuple[str, str]]
    query: list[tuple[str, str]]
    at: float = field(default_factory=time.time)  # when it arrived (time.time())

    def field(self, name: str) -> str | None:
        values = self.fields(name)
        return values[0] if values else None

    def fields(self, name: str) -> list[str]:
        return [v for k, v in self.form if k == name]


class DropConnection(Exception):
    """Raised inside the handler: close the socket without an answer (after `hold` seconds)."""

    def __init__(self, hold: float) -> None:
        super().__init__(hold)
        self.hold = hold


class RequestHandler(BaseHTTPRequestHandler):
    """Parses each request (Basic auth, form body, query) for `emulator.handle` and writes its JSON answer."""

    emulator: TwilioEmulator

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        form = parse_qsl(body, keep_blank_values=True)
        query = parse_qsl(parts.query, keep_blank_values=True)
        auth = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            auth = (user, password)
        try:
            status, payload = self.emulator.handle(method, parts.path, auth, form, query)
        except DropConnection as drop:
            if drop.hold:
                time.sleep(drop.hold)  # the client's read timeout fires first
            self.close_connection = True
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()  # bytes: a malformed answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")
