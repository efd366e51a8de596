"""Handing committed deliveries to Celery from a background thread, so the code that emitted them never waits.

With a broker, the thread publishes `webhooks.tasks.deliver` (a bounded retry if the broker is slow); without one
(Celery eager, the default install) the task runs in that thread, where a dead URL costs at most the request's
deadline — never the voice loop's or the dialer's time. The queue is bounded and in memory: what it drops (full,
or lost with the process) stays pending in the database, and the beat task `webhooks.tasks.send_due` sends it.
"""
from __future__ import annotations

import logging
import queue
import threading

from django.db import close_old_connections, connections

log = logging.getLogger(__name__)
QUEUE_SIZE = 1000
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}

_queue: queue.Queue[int] = queue.Queue(maxsize=QUEUE_SIZE)
_lock = threading.Lock()
_thread: threading.Thread | None = None


def send_soon(delivery_ids: list[int]) -> None:
    """Queue the deliveries for the sender thread (started on first use); returns at once."""
    for delivery_id in delivery_ids:
        try:
            _queue.put_nowait(delivery_id)
        except queue.Full:
            log.warning("webhook sender queue full; delivery %s waits for the next sweep", delivery_id)
    _ensure_thread()


def _ensure_thread() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="webhook-sender", daemon=True)
            _thread.start()


def _run() -> None:
    while True:
        delivery_id = _queue.get()
        try:
            hand_over(delivery_id)
        except Exception:  # noqa: BLE001 - the sweep retries whatever this could not hand over
            log.exception("webhook delivery %s could not be handed over", delivery_id)
        finally:
            close_old_connections()
            connections.close_all()
            _queue.task_done()


def hand_over(delivery_id: int) -> None:
    """Publish the delivery task (or, Celery eager, run its one attempt here)."""
    from .tasks import deliver

    deliver.apply_async((delivery_id,), retry=True, retry_policy=PUBLISH_RETRY)


def wait_idle(timeout: float) -> bool:
    """Whether everything queued so far was handed over within `timeout` seconds (tests, shutdown)."""
    done = threading.Event()

    def waiter() -> None:
        _queue.join()
        done.set()

    threading.Thread(target=waiter, daemon=True).start()
    return done.wait(timeout)
