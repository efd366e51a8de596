"""Processes that run no system checks (uvicorn, Celery worker and beat) refuse insecure settings at start too."""
from __future__ import annotations

import secrets

import pytest

from config.checks import is_local_host, problems, public_base_url_problem
from tests.security.test_production_settings import manage

STRONG = secrets.token_urlsafe(50)


@pytest.fixture
def insecure(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "insecure-dev-key-change-me-in-production"
    settings.TELEPHONY = "sim"
    return settings


async def _lifespan_startup() -> list[dict]:
    from config.asgi import application

    sent: list[dict] = []
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict:
        return inbox.pop(0)

    async def send(message: dict) -> None:
        sent.append(message)

    await application({"type": "lifespan"}, receive, send)
    return sent


async def test_uvicorn_startup_fails_naming_secret_key(insecure):
    [message] = await _lifespan_startup()
    assert message["type"] == "lifespan.startup.failed"
    assert "SECRET_KEY" in message["message"]


async def test_uvicorn_starts_with_a_strong_key(insecure):
    insecure.SECRET_KEY = STRONG
    sent = await _lifespan_startup()
    assert sent[0]["type"] == "lifespan.startup.complete"


@pytest.mark.filterwarnings("ignore:DjangoFixup")
def test_celery_worker_and_beat_exit_at_start_naming_secret_key(insecure, monkeypatch):
    from celery import signals

    from config.celery import app

    # With a shared broker, so the refusal seen is the key's, not the missing broker's (the suite may run without
    # REDIS_URL: Celery eager, in-memory broker).
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:6379/0")
    for signal in (signals.worker_init, signals.beat_init):
        with pytest.raises(SystemExit) as exited:
            signal.send(sender=None)
        assert "SECRET_KEY" in str(exited.value.code)


TWILIO_CREDENTIALS = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token"}


def test_twilio_without_its_credentials_is_refused_naming_both(settings):
    settings.DEBUG, settings.TELEPHONY, settings.PUBLIC_BASE_URL = True, "twilio", "https://parley.example.com"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "", ""
    [message] = problems()
    assert "TWILIO_ACCOUNT_SID" in message and "TWILIO_AUTH_TOKEN" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://parley.example.com", "https://127.0.0.1:8000", "https://localhost", "https://[::1]:8000",
        "https://10.0.0.5", "https://192.168.1.20", "https://172.16.0.1", "https://0.0.0.0", "https://app.localhost",
        "https://169.254.1.1", "https://[fd00::1]",
    ],
)
def test_twilio_refuses_a_public_base_url_it_cannot_reach(settings, url):
    settings.DEBUG, settings.TELEPHONY, settings.PUBLIC_BASE_URL = True, "twilio", url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "token"  # only the URL is wrong
    [message] = problems()
    assert "PUBLIC_BASE_URL" in message and "TELEPHONY=twilio" in message


@pytest.mark.parametrize("url", ["https://parley.example.com", "https://8.8.8.8", "https://calls.acme.io:8443"])
def test_twilio_accepts_a_public_https_base_url(url):
    assert public_base_url_problem("twilio", url) is None


def test_simulated_telephony_and_the_emulator_override_accept_a_local_url():
    assert public_base_url_problem("sim", "http://127.0.0.1:8000") is None
    assert public_base_url_problem("twilio", "http://127.0.0.1:8000", allow_local=True) is None


def test_a_public_name_is_not_local():
    assert not is_local_host("parley.example.com")
    assert is_local_host("LOCALHOST.")


def test_manage_check_names_public_base_url_with_twilio():
    result = manage("check", TELEPHONY="twilio", PUBLIC_BASE_URL="http://127.0.0.1:8000")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in output
    assert len([line for line in output.splitlines() if "PUBLIC_BASE_URL" in line]) == 1


def test_manage_check_accepts_a_local_twilio_emulator_when_told():
    result = manage("check", TELEPHONY="twilio", PUBLIC_BASE_URL="http://127.0.0.1:8000",
                    PUBLIC_BASE_URL_ALLOW_LOCAL="true", **TWILIO_CREDENTIALS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_malformed_proxy_header_is_named(settings):
    settings.DEBUG = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO",)
    [message] = problems()
    assert message.startswith("SECURE_PROXY_SSL_HEADER")


def _run(*args: str, **env: str):
    import os
    import subprocess
    import sys

    from tests.security.test_production_settings import ROOT, SCRUBBED

    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          timeout=120)


def test_a_wsgi_server_importing_the_app_exits_naming_secret_key():
    result = _run("-c", "import config.wsgi", DEBUG="false")
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if "SECRET_KEY" in line] == [
        "Refusing to start: SECRET_KEY is the public development key; set SECRET_KEY to 50+ random characters "
        "(DEBUG is off)."
    ]
    assert "Traceback" not in result.stderr


def test_a_celery_worker_exits_at_start_naming_secret_key():
    # A shared broker named (Redis runs beside every Parley), so the worker gets as far as the key check.
    import os

    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    result = _run(
        "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", "none", DEBUG="false", REDIS_URL=redis_url
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert any("Refusing to start: SECRET_KEY" in line for line in output.splitlines()), output
