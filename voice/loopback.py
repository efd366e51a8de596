"""Serve `config.asgi:application` with uvicorn on 127.0.0.1, an ephemeral port, in a background thread.

For `rehearse`, the benchmark and tests: the real HTTP + WebSocket path over loopback, in this process.
"""
from __future__ import annotations

import threading
import time

import uvicorn
from django.conf import settings


class LoopbackServer:
    def __init__(self, log_level: str = "warning") -> None:
        from config.asgi import application

        self.config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=0,
            log_level=log_level,
            lifespan="off",
            ws="websockets-sansio",
            ws_per_message_deflate=False,
            access_log=False,
        )
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, name="voice-loopback", daemon=True)
        self.base_url = ""
        self._previous_base = ""

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback voice server did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._previous_base = settings.PUBLIC_BASE_URL
        settings.PUBLIC_BASE_URL = self.base_url
        return self

    def __exit__(self, *exc) -> None:
        settings.PUBLIC_BASE_URL = self._previous_base
        self.server.should_exit = True
        self.thread.join(timeout=10)
        from voice import db

        db.shutdown()  # as the voice process does at exit: the DB pool's threads close their connections
