"""Live calls as the rest of Parley sees them: register a session's handler, and tell a live call something.

A thin face over `voice.call_events` (Redis pub/sub across processes when REDIS_URL is set, in-process
otherwise): a webhook served by process B reaches the session in process A. Every path that tells a live call
something (AMD verdict, provider hang-up, transfer/hang-up requests) calls `notify`.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from voice import call_events


def register(call_id: int, handler: Callable[[str, dict[str, Any]], None]) -> asyncio.Future[None]:
    """Deliver `call_id`'s events to `handler(event, data)` on the running loop.

    Returns a future resolved once the subscription is in place; await it, then re-read the call row, so that an
    event sent before the subscription is not lost. Events: "amd" {answered_by}, "hangup" {}, "resync" {} (the
    bus may have missed events: re-read the row).
    """
    return call_events.subscribe(call_id, handler)


def unregister(call_id: int) -> None:
    """Stop delivering `call_id`'s events; idempotent."""
    call_events.unsubscribe(call_id)


def notify(call_id: int, event: str, **data: Any) -> bool:
    """Deliver `event` to the session hosting `call_id`, in whichever process; False when no process hosts it.

    Thread-safe and synchronous (webhook views call it from `transaction.on_commit`); `data` must be JSON-able.
    """
    return call_events.publish(call_id, event, **data)
