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
