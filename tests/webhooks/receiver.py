"""A real HTTP server on 127.0.0.1 that receives webhook requests and answers with scripted status codes."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes


@dataclass
class Receiver:
    codes: list[int] = field(default_factory=list)  # answers in order; 200 once they run out
    hang_seconds: float = 0.0  # wait this long before answering (a receiver that hangs)
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.requests) >= count, timeout):
                raise AssertionError(f"{len(self.requests)} webhook requests arrived, expected {count}")
        return self.requests


def serve(receiver: Receiver):
    """Start the server; returns a function that stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            code = receiver.codes.pop(0) if receiver.codes else 200
            if receiver.hang_seconds:
                threading.Event().wait(receiver.hang_seconds)
            with receiver.arrived:
                receiver.requests.append(Received(dict(self.headers), body))
                receiver.arrived.notify_all()
            payload = b'{"ok": true}' if code < 300 else b"receiver exploded"
            try:
                self.send_response(code)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up first

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/parley"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return stop
