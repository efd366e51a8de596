"""An operator who turns DEBUG off must also give the app a secret; the documented production env passes --deploy."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell may carry that would change what these subprocesses see.
SCRUBBED = (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PUBLIC_BASE_URL", "TELEPHONY",
    "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "PUBLIC_BASE_URL_ALLOW_LOCAL",
    "DJANGO_SETTINGS_MODULE",
)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh interpreter with the given environment on top of a scrubbed copy of ours."""
    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )


def production_block() -> dict[str, str]:
    """The commented production block of .env.example, as variables (the block's SECRET_KEY is a placeholder)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# >>> production"))
    end = next(i for i, line in enumerate(lines) if line.startswith("# <<< production"))
    values = {}
    for line in lines[start + 1 : end]:
        text = line.removeprefix("#").strip()
        if "=" in text and text.split("=", 1)[0].isupper() and " " not in text.split("=", 1)[0]:
            name, value = text.split("=", 1)
            values[name] = value
    return values


def naming(output: str, word: str) -> list[str]:
    return [line for line in output.splitlines() if word in line]


def test_debug_off_without_a_secret_key_refuses_with_one_line_naming_it():
    result = manage("check", DEBUG="false")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert len(naming(output, "SECRET_KEY")) == 1, output


@pytest.mark.parametrize(
    "key", ["insecure-dev-key-change-me-in-production", "change-me", "", "x" * 49, "django-insecure-" + "k" * 50]
)
def test_debug_off_with_the_public_default_or_a_short_or_plain_key_refuses(key):
    result = manage("check", DEBUG="false", SECRET_KEY=key)
    assert result.returncode != 0
    assert len(naming(result.stdout + result.stderr, "SECRET_KEY")) == 1


def test_debug_off_with_a_long_random_key_passes():
    result = manage("check", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_laptop_with_no_environment_still_starts():
    result = manage("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_documented_production_env_passes_check_deploy_without_warnings():
    env = production_block()
    assert env["DEBUG"] == "false"
    placeholder = env["SECRET_KEY"]
    assert manage("check", **env).returncode != 0, "the block's placeholder key must itself be refused"
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr
    assert placeholder != env["SECRET_KEY"]


def test_without_the_switches_check_deploy_names_what_is_missing():
    result = manage("check", "--deploy", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))
    output = result.stdout + result.stderr
    for code in ("W004", "W008", "W012", "W016"):
        assert f"security.{code}" in output


def _debug_with(**env: str) -> str:
    result = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_debug_is_on_only_where_nothing_marks_a_deployment():
    assert _debug_with() == "True"
    assert _debug_with(SECRET_KEY=secrets.token_urlsafe(50)) == "False"
    assert _debug_with(ALLOWED_HOSTS="parley.example.com") == "False"
    assert _debug_with(SECRET_KEY=secrets.token_urlsafe(50), DEBUG="true") == "True"


def test_a_deployment_that_sets_only_its_host_names_is_refused_for_the_public_key():
    result = manage("check", ALLOWED_HOSTS="parley.example.com")
    assert result.returncode != 0
    assert len(naming(result.stdout + result.stderr, "SECRET_KEY")) == 1
