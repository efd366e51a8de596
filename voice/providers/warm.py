"""Vendor clients kept warm for the life of the process, one per event loop.

An SDK client pools connections bound to the loop that opened them; the voice loop, a management command's
`asyncio.run` and a Celery task's `async_to_sync` each run their own loop, so each gets its own client.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, object]] = weakref.WeakKeyDictionary()


def client_for_loop(key: Hashable, build: Callable[[], T]) -> T:
    """The client for `key` on the running loop, built on first use.

    Clients of loops that have closed (one per `async_to_sync` call, say) are dropped: their pooled
    connections hold the loop, so the weak key alone would never let go of them."""
    for loop in [loop for loop in list(_by_loop) if loop.is_closed()]:
        _by_loop.pop(loop, None)
    clients = _by_loop.setdefault(asyncio.get_running_loop(), {})
    if key not in clients:
        clients[key] = build()
    return clients[key]  # type: ignore[return-value]
