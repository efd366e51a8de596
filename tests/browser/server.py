"""The whole ASGI app (Django pages plus the media WebSocket) served by uvicorn in a thread on an ephemeral port."""
from __future__ import annotations

import socket
import threading
import time

import uvicorn


class LiveServer:
    """Binds 127.0.0.1:0 before starting, so the port is known and connections queue until uvicorn accepts.

    With `lifespan=True` the app's start-up and shutdown run as under `make serve` (provider checks, and the
    dialer's in-process beat when `DIALER_INPROCESS` allows it); `__enter__` returns once start-up is complete.
    """

    def __init__(self, lifespan: bool = False) -> None:
        from config.asgi import application

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(128)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            application, lifespan="on" if lifespan else "off", log_level="warning", ws="websockets-sansio"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)  # lifespan shutdown stops the in-process scheduler first
        self.socket.close()
        from voice import db

        db.shutdown()  # the voice DB pool's connections (test calls, listeners), as the lifespan's shutdown does
