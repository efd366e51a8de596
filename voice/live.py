"""In-process registry of live call sessions, so webhooks (AMD result, hang-up) reach the session at once.

A webhook served by another process cannot reach it; sessions therefore also read the Call row when
they start. `notify` is thread-safe and a no-op for calls this process does not host.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_sessions: dict[int, tuple[asyncio.AbstractEventLoop, Callable[[str, dict[str, Any]], None]]] = {}


def register(call_id: int, handler: Callable[[str, dict[str, Any]], None]) -> None:
    with _lock:
        _sessions[call_id] = (asyncio.get_running_loop(), handler)


def unregister(call_id: int) -> None:
    with _lock:
        _sessions.pop(call_id, None)


def notify(call_id: int, event: str, **data: Any) -> bool:
    """Deliver `event` to the session hosting `call_id` in this process; False when there is none."""
    with _lock:
        entry = _sessions.get(call_id)
    if entry is None:
        return False
    loop, handler = entry
    loop.call_soon_threadsafe(handler, event, data)
    return True
