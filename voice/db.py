"""The voice loop's way to the database: every read and write a live call makes goes through `run`.

- Its own bounded thread pool (VOICE_DB_THREADS, default 8): never the one shared thread of `sync_to_async`'s
  thread-sensitive mode, so one slow query does not queue every call's turns behind it, and never the loop's
  default executor (whose threads' connections nobody closes).
- Before each operation the thread's connection is checked: an unusable or obsolete one is closed
  (`close_old_connections`, then `is_usable()` for a connection that died silently, e.g. terminated by the
  server), and Django opens a new one on first use.
- An operation that fails with OperationalError/InterfaceError (connection lost, server restarting) is retried
  on a fresh connection with exponential backoff until VOICE_DB_DEADLINE_S (default 10 s) has passed since
  the first try; then the last error is raised. Other errors are raised at once. Operations must therefore be
  safe to run again: a write is one transaction (a try that failed part way leaves nothing behind) and
  recognises its own committed work (a try whose COMMIT went through but whose acknowledgement was lost), as
  `records.claim_media` (its claim's time is taken before the first try), `records.save_call_end` and
  `records.save_turns` (unique (call, index)) do; tests/voice/test_retried_writes.py plays both failures.
- `shutdown()` closes every pool thread's connections and stops the pool (the voice process calls it at exit).
"""
from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE = (OperationalError, InterfaceError)
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 1.0

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_size = 0


def _threads() -> int:
    return int(getattr(settings, "VOICE_DB_THREADS", 8))


def _deadline_s() -> float:
    return float(getattr(settings, "VOICE_DB_DEADLINE_S", 10.0))


def _executor() -> ThreadPoolExecutor:
    global _pool, _size
    with _lock:
        if _pool is None:
            _size = _threads()
            _pool = ThreadPoolExecutor(max_workers=_size, thread_name_prefix="voice-db")
        return _pool


def _fresh_connections() -> None:
    """Drop this thread's connections that errored, outlived CONN_MAX_AGE, or died without our noticing."""
    close_old_connections()
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
            conn.close()


def _attempt(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    _fresh_connections()
    try:
        return fn(*args, **kwargs)
    except RETRYABLE:
        for conn in connections.all(initialized_only=True):  # the next attempt on this thread starts afresh
            try:
                conn.close()
            except Exception:  # closing a broken connection may itself fail; it is gone either way
                log.debug("closing a broken connection failed", exc_info=True)
        raise


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run the synchronous database function `fn(*args, **kwargs)` on the voice DB pool and return its result.

    Retries OperationalError/InterfaceError with backoff (50 ms doubling to 1 s) until VOICE_DB_DEADLINE_S since
    the first try, then raises the last one; TimeoutError when an attempt is still running at the deadline (the
    thread finishes it on its own). Any other exception from `fn` is raised unchanged.
    """
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + _deadline_s()
    backoff = FIRST_BACKOFF_S
    attempt = 1
    while True:
        future = loop.run_in_executor(_executor(), functools.partial(_attempt, fn, args, kwargs))
        try:
            return await asyncio.wait_for(future, timeout=max(0.01, deadline - time.monotonic()))
        except RETRYABLE as exc:
            if time.monotonic() + backoff > deadline:
                log.error("database still failing after %d attempts of %s: %r", attempt, _name(fn), exc)
                raise
            log.warning("database error in %s (%r); retry %d in %.2f s", _name(fn), exc, attempt, backoff)
        await asyncio.sleep(backoff)
        backoff = min(MAX_BACKOFF_S, backoff * 2)
        attempt += 1


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", repr(fn))


def shutdown(timeout: float = 10.0) -> None:
    """Close every pool thread's database connections, then stop the pool (waits up to `timeout` seconds for
    running operations). Blocking: call it from a thread or at exit, not from the event loop's thread."""
    global _pool
    with _lock:
        pool, size, _pool = _pool, _size, None
    if pool is None:
        return
    # One closing task per thread: each waits at the barrier until all have started, so no thread runs two.
    barrier = threading.Barrier(size)

    def close_mine() -> None:
        connections.close_all()
        try:
            barrier.wait(timeout=timeout)
        except threading.BrokenBarrierError:
            pass

    for _ in range(size):
        pool.submit(close_mine)
    pool.shutdown(wait=True)
