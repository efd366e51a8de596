"""The dialer's beat inside the web process, for the embedded default (no broker): `make serve` alone dials.

Celery beat fires the tasks in `settings.CELERY_BEAT_SCHEDULE` (the dialer tick and the sweeper) on a broker
that workers read. Without `REDIS_URL` there is neither, so the ASGI app's lifespan starts this scheduler
instead: one daemon thread per beat entry that runs the same task, in this process, at the same interval.
Celery is eager without a broker, so what the tick queues (`place_call`, `finalize_call`) runs inline too.

`DIALER_INPROCESS` chooses: "auto" (on when `REDIS_URL` is unset), "on" or "off". The tests set it "off";
a test that wants it (the browser test of `make serve`) turns it on.
"""
from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connections

log = logging.getLogger(__name__)
STOP_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Job:
    """One beat entry: the Celery task's name and its interval in seconds."""

    name: str
    task: str
    seconds: float


def enabled() -> bool:
    """True when the web process should run the dialer's beat itself (see the module docstring)."""
    mode = str(getattr(settings, "DIALER_INPROCESS", "auto")).lower()
    if mode in ("on", "true", "1", "yes"):
        return True
    if mode in ("off", "false", "0", "no"):
        return False
    return not settings.REDIS_URL


def beat_jobs() -> list[Job]:
    """The entries of `CELERY_BEAT_SCHEDULE` whose schedule is a number of seconds, in the order written."""
    jobs = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        if isinstance(schedule, int | float):
            jobs.append(Job(name, entry["task"], float(schedule)))
        else:
            log.warning("In-process scheduler: %s has a %r schedule, not seconds; skipped", name, schedule)
    return jobs


class InProcessScheduler:
    """Runs each job every `job.seconds`, first right away, until `stop()`.

    A run that fails is logged and the job carries on at its next interval, as beat would. Each thread releases its
    database connection after every run as a request does (closed, unless `CONN_MAX_AGE` keeps it), and closes it
    for good when it stops: the web process may live for weeks, and tests must be able to drop their database.
    """

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self.jobs = beat_jobs() if jobs is None else jobs
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.runs: dict[str, int] = {job.name: 0 for job in self.jobs}

    def start(self) -> InProcessScheduler:
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"inprocess-{job.name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        names = ", ".join(f"{job.task} every {job.seconds:g} s" for job in self.jobs)
        log.info("In-process scheduler started (no broker): %s", names)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Ask every job to stop and wait up to `timeout` seconds in all; True when every thread has ended."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("In-process scheduler: %s still running after %.0f s", ", ".join(alive), timeout)
        return not alive

    def _loop(self, job: Job) -> None:
        from config.celery import app

        importlib.import_module(job.task.rsplit(".", 1)[0])  # registers the task, as a worker's autodiscovery does
        task = app.tasks[job.task]
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    task()  # the task's own function, in this thread (what a worker runs when beat sends it)
                except Exception:
                    log.exception("In-process scheduler: %s failed", job.task)
                finally:
                    close_old_connections()
                self.runs[job.name] += 1
                self._stop.wait(max(0.0, job.seconds - (time.monotonic() - started)))
        finally:
            connections.close_all()


_running: InProcessScheduler | None = None
_lock = threading.Lock()


def start_if_enabled() -> InProcessScheduler | None:
    """Called by the ASGI lifespan at start-up: start the scheduler once per process when `enabled()`."""
    global _running
    if not enabled():
        return None
    with _lock:
        if _running is None:
            _running = InProcessScheduler().start()
        return _running


def stop_running(timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Called by the ASGI lifespan at shutdown: stop the scheduler this process started, if any."""
    global _running
    with _lock:
        scheduler, _running = _running, None
    if scheduler is not None:
        scheduler.stop(timeout)
