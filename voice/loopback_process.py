"""Serve `config.asgi:application` with uvicorn in a child process on 127.0.0.1 (tests and benches that need
real separate processes: cross-process call events, DB blips, SIGTERM drain).

The child gets this process's environment plus DATABASE_URL/REDIS_URL naming the database and Redis this process
uses right now (under pytest: the test database), and any `env` given. Its stdout/stderr go to a log file.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

START_TIMEOUT_S = 20.0


def database_url() -> str:
    """DATABASE_URL for the database Django uses now (PostgreSQL only: SQLite files are not for two processes)."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        raise RuntimeError("separate voice processes need PostgreSQL")
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VoiceProcess:
    """`with VoiceProcess(env={...}) as p:` — p.base_url, p.pid, p.log_text(); SIGTERM via p.terminate()."""

    def __init__(self, env: dict[str, str] | None = None, name: str = "voice") -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "PUBLIC_BASE_URL": self.base_url,
            "SECRET_KEY": settings.SECRET_KEY,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.log_path = Path(tempfile.mkstemp(prefix=f"parley-{name}-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def __enter__(self) -> VoiceProcess:
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
                 "--port", str(self.port), "--ws", "websockets-sansio", "--log-level", "info"],
                cwd=settings.BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited at start:\n{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError as exc:
                if time.monotonic() > deadline:
                    self.kill()
                    why = f"uvicorn did not listen within {START_TIMEOUT_S} s:\n{self.log_text()}"
                    raise RuntimeError(why) from exc
                time.sleep(0.05)

    def terminate(self) -> None:
        """SIGTERM, as a deploy or `systemctl stop` sends it."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None when still running after `timeout` seconds."""
        try:
            return self.proc.wait(timeout=timeout) if self.proc else 0
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def __exit__(self, *exc) -> None:
        self.terminate()
        if self.wait(30) is None:
            self.kill()
        self.log_path.unlink(missing_ok=True)


def post_signed_callback(base_url: str, path: str, params: dict[str, str], timeout: float = 10.0) -> int:
    """POST a Twilio-signed webhook (X-Twilio-Signature over base_url + path, with the configured or simulated
    auth token) to the process at `base_url`; returns the HTTP status."""
    import httpx
    from twilio.request_validator import RequestValidator

    from voice.telephony.sim import auth_token

    url = f"{base_url}{path}"
    signature = RequestValidator(auth_token()).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=timeout).status_code


def wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    """Poll `condition()` until it is true (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(step)
    return True
