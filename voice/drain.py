"""Draining the voice process on SIGTERM: a deploy lets live calls finish instead of dropping them.

uvicorn's own SIGTERM handling closes every WebSocket at once (close 1012) and drops every live call. At lifespan
startup `install()` puts our handler in front of uvicorn's for SIGTERM (uvicorn set its handlers before startup;
its handler stays the one we hand over to). On SIGTERM:

1. stop accepting: uvicorn's listening sockets are closed (the load balancer sends new calls and webhooks to
   other processes) and `media_app` refuses new media sockets (`accepting()` is False);
2. wait until every live call ended by itself, for up to VOICE_DRAIN_SECONDS (default 20);
3. end the calls still up with `session.shutdown("drain")` (a goodbye, hang-up, outcome recorded), waiting up to
   SHUTDOWN_WAIT_S for them;
4. close the voice DB pool's connections and hand over to uvicorn's handler, which shuts the server down.

A second SIGTERM or SIGINT during the drain hands over at once. Without a uvicorn server in the main thread
(tests' loopback servers) nothing is installed.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any, Protocol

from django.conf import settings

log = logging.getLogger(__name__)
SHUTDOWN_WAIT_S = 15.0


class Drainable(Protocol):
    call_id: int

    async def shutdown(self, reason: str = "drain") -> None: ...


_live: set[Any] = set()
_draining = False
_task: asyncio.Task | None = None


def track(session: Drainable) -> None:
    """A media stream's session is live in this process."""
    _live.add(session)


def untrack(session: Drainable) -> None:
    _live.discard(session)


def accepting() -> bool:
    """False once this process drains: new media sockets are refused."""
    return not _draining


def live_count() -> int:
    return len(_live)


def install(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """Put the drain in front of the current SIGTERM handler (uvicorn's). True when installed (main thread)."""
    loop = loop or asyncio.get_running_loop()
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:
        return False
    if not callable(previous) or getattr(previous, "_parley_drain", False):
        return False

    def on_sigterm(sig: int, frame: Any) -> None:
        global _task
        if _draining:  # a second signal: stop waiting
            previous(sig, frame)
            return
        loop.call_soon_threadsafe(_start, previous, sig, frame)

    def _start(handler, sig: int, frame: Any) -> None:
        global _task
        _task = loop.create_task(drain(handler, sig, frame))

    on_sigterm._parley_drain = True  # type: ignore[attr-defined]
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread
        return False
    return True


async def drain(hand_over=None, sig: int = signal.SIGTERM, frame: Any = None) -> dict[str, int]:
    """Steps 1-4 above; returns {"ended_by_themselves": n, "shut_down": m}. `hand_over(sig, frame)` is called
    at the end (uvicorn's handler), also when the drain itself fails."""
    global _draining
    _draining = True
    seconds = float(getattr(settings, "VOICE_DRAIN_SECONDS", 20))
    started = time.monotonic()
    before = len(_live)
    result = {"ended_by_themselves": 0, "shut_down": 0}
    try:
        _stop_listening(hand_over)
        log.info("SIGTERM: draining %d live call(s) for up to %.0f s", before, seconds)
        while _live and time.monotonic() - started < seconds:
            await asyncio.sleep(0.1)
        remaining = list(_live)
        result = {"ended_by_themselves": before - len(remaining), "shut_down": len(remaining)}
        if remaining:
            log.info("drain: ending %d call(s) still up", len(remaining))
            ends = [asyncio.ensure_future(s.shutdown("drain")) for s in remaining]
            done, pending = await asyncio.wait(ends, timeout=SHUTDOWN_WAIT_S)
            for task in done:
                if task.exception() is not None:
                    log.warning("drain: a call's shutdown failed: %r", task.exception())
            for task in pending:
                task.cancel()
        from voice import db

        await asyncio.to_thread(db.shutdown)
        log.info("drain done in %.1f s: %s", time.monotonic() - started, result)
    except Exception:
        log.exception("drain failed; shutting down now")
    finally:
        if hand_over is not None:
            hand_over(sig, frame)
    return result


def _stop_listening(handler) -> None:
    """Close uvicorn's listening sockets (its handler is a bound method of the running uvicorn.Server)."""
    server = getattr(handler, "__self__", None)
    for listener in getattr(server, "servers", None) or []:
        listener.close()
