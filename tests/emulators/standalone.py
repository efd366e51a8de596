"""Running an emulator on its own (`python -m tests.emulators.<name> --port N`) for `make demo` and manual checks."""
from __future__ import annotations

import asyncio
from typing import Any


async def serve_forever(emulator: Any, port: int, label: str) -> None:
    await emulator.start(port)
    print(f"{label} emulator listening on {emulator.url}", flush=True)
    await asyncio.Event().wait()


def setup_django() -> None:
    """The rehearsal glue reads captions and calls through Django (same settings and database as the demo)."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


class WebSocketEmulator:
    """Lifecycle shared by the WebSocket vendor emulators: serve on 127.0.0.1, report the port and base URL.

    Subclasses define `_handle(connection)` and `_check_request(connection, request)` (the handshake check).
    """

    _server: Any = None

    async def start(self, port: int = 0):
        from websockets.asyncio.server import serve

        self._server = await serve(self._handle, "127.0.0.1", port, process_request=self._check_request)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        """What the adapter's base-URL setting should be set to (http; the SDKs derive the ws URL)."""
        return f"http://127.0.0.1:{self.port}"
