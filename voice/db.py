"""The voice loop's way to the database: every read and write a live call makes goes through `run`.

First version: a worker thread per operation (never the one shared thread of `sync_to_async`'s thread-sensitive
mode). The hardened version (connection check before each operation, retry with a deadline) replaces the body.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections

T = TypeVar("T")


def _fresh(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    close_old_connections()
    return fn(*args, **kwargs)


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run the synchronous database function `fn(*args, **kwargs)` off the event loop and return its result."""
    return await sync_to_async(_fresh, thread_sensitive=False)(fn, *args, **kwargs)
