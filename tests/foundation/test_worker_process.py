"""`make worker` and `make beat` as a person runs them: they say when Redis is missing, and Ctrl-C stops them."""
import os
import queue
import signal
import subprocess
import threading
import time
import uuid

import pytest
from django.conf import settings


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(overrides)
    return env


def _start(target: str, env: dict[str, str]) -> tuple[subprocess.Popen, queue.Queue]:
    """`make -s <target>` in its own process group, as a terminal runs it; its output lines arrive on the queue."""
    process = subprocess.Popen(
        ["make", "-s", target],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def _wait_for_line(lines: queue.Queue, text: str, timeout: float) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never came; output:\n{''.join(seen)}")


@pytest.mark.parametrize(
    ("target", "says", "then"),
    [
        ("worker", "celery worker needs Redis: set REDIS_URL", "`make serve` runs the dialer"),
        ("beat", "celery beat needs Redis: set REDIS_URL", "`make serve` runs the dialer"),
        ("up", "make up runs web + worker + beat on Redis: set REDIS_URL", "'make serve' alone runs the whole"),
    ],
)
def test_without_redis_it_says_so_and_stops(target, says, then):
    process, lines = _start(target, _env())
    try:
        _wait_for_line(lines, says, timeout=90)
        _wait_for_line(lines, then, timeout=10)
        assert process.wait(timeout=30) != 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL), as the worker does")
def test_ctrl_c_stops_the_worker():
    queue_name = f"parley-test-{uuid.uuid4().hex[:8]}"  # a queue of its own: nothing else's tasks run here
    process, lines = _start("worker", _env(REDIS_URL=settings.REDIS_URL, WORKER_QUEUES=queue_name))
    try:
        _wait_for_line(lines, "ready.", timeout=90)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("the worker was still running 30 s after Ctrl-C")
