"""Settings that must never reach production, and the one place that says so.

`problems()` is a plain function over the settings; it backs a Django system check (so `manage.py check`, `migrate`,
`runserver` and every command that runs checks refuse with one line naming the variable) and the start-up hooks of
the processes that run no checks: the ASGI lifespan (uvicorn), the WSGI module and Celery's worker and beat.
"""
from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.core import checks

# The development key settings.py falls back to, and the placeholder .env.example once shipped: both are public.
DEV_SECRET_KEY = "insecure-dev-key-change-me-in-production"
PUBLIC_KEYS = frozenset({DEV_SECRET_KEY, "change-me"})
# Django's own bar for a strong key (django/core/checks/security/base.py: _check_secret_key).
MIN_SECRET_KEY_LENGTH = 50
LOCAL_HOSTNAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def secret_key_problem(debug: bool, secret_key: str) -> str | None:
    """One line naming SECRET_KEY when DEBUG is off and the key is public or weak, else None.

    Weak follows Django's deploy check (security.W009): fewer than 50 characters, or Django's own
    'django-insecure-' prefix from startproject. A public key lets anyone sign sessions and media tokens.
    """
    if debug:
        return None
    if secret_key in PUBLIC_KEYS or secret_key.startswith("django-insecure-"):
        return "SECRET_KEY is the public development key; set SECRET_KEY to 50+ random characters (DEBUG is off)."
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"SECRET_KEY is {len(secret_key)} characters; set SECRET_KEY to {MIN_SECRET_KEY_LENGTH}+ random "
            "characters (DEBUG is off)."
        )
    return None


def is_local_host(host: str) -> bool:
    """True for loopback, private, link-local, unspecified or reserved addresses and localhost names.

    Such a host cannot be reached by Twilio's servers (RFC 1918 private ranges, RFC 4193 unique-local, 127/8, ::1).
    """
    host = host.strip("[]").lower().rstrip(".")
    if not host or host in LOCAL_HOSTNAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_loopback or address.is_private or address.is_link_local or address.is_unspecified
        or address.is_reserved
    )


def public_base_url_problem(telephony: str, url: str, allow_local: bool = False) -> str | None:
    """One line naming PUBLIC_BASE_URL when real telephony would call back a URL it cannot reach, else None.

    Twilio requests TwiML and opens the media stream at PUBLIC_BASE_URL; it must be https (media streams need wss)
    and a public host. `allow_local` (PUBLIC_BASE_URL_ALLOW_LOCAL) lets a Twilio emulator on this machine through.
    """
    if telephony not in ("twilio", "signalwire") or allow_local:
        return None
    vendor = {"twilio": "Twilio", "signalwire": "SignalWire"}[telephony]
    parts = urlsplit(url)
    if parts.scheme != "https":
        return (f"PUBLIC_BASE_URL must be https with TELEPHONY={telephony} (got {url!r}); "
                f"{vendor} cannot stream media to it.")
    if is_local_host(parts.hostname or ""):
        return (
            f"PUBLIC_BASE_URL must be a public host with TELEPHONY={telephony} (got {url!r}); "
            f"{vendor} cannot reach a local address."
        )
    return None


def telephony_settings_problem(settings: Any) -> str | None:
    """One line naming every variable the chosen telephony provider needs and lacks (voice/telephony)."""
    from voice.telephony import CHOICES, missing_settings

    if settings.TELEPHONY not in CHOICES:
        return f"TELEPHONY={settings.TELEPHONY!r} is not known; choose one of: {', '.join(CHOICES)}."
    missing = missing_settings(settings.TELEPHONY, settings)
    return f"TELEPHONY={settings.TELEPHONY} needs {' and '.join(missing)}." if missing else None


def proxy_header_problem(header: Any) -> str | None:
    """SECURE_PROXY_SSL_HEADER must be empty or NAME,value (e.g. HTTP_X_FORWARDED_PROTO,https)."""
    if header is None:
        return None
    if len(header) != 2 or not all(header):
        return "SECURE_PROXY_SSL_HEADER must be NAME,value, e.g. HTTP_X_FORWARDED_PROTO,https."
    return None


def coded_problems(settings: Any = django_settings) -> list[tuple[str, str]]:
    """(check id, one line naming the variable) for every insecure or unworkable production setting."""
    found = [
        ("parley.E001", secret_key_problem(settings.DEBUG, settings.SECRET_KEY)),
        ("parley.E002", public_base_url_problem(
            settings.TELEPHONY, settings.PUBLIC_BASE_URL, getattr(settings, "PUBLIC_BASE_URL_ALLOW_LOCAL", False)
        )),
        ("parley.E003", proxy_header_problem(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))),
        ("parley.E004", telephony_settings_problem(settings)),
    ]
    return [(code, message) for code, message in found if message]


def problems(settings: Any = django_settings) -> list[str]:
    """Every insecure or unworkable production setting, one line each, naming the variable to fix."""
    return [message for _, message in coded_problems(settings)]


@checks.register(checks.Tags.security)
def production_settings_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The Django system check: each problem is an Error, so `manage.py check` exits non-zero."""
    return [checks.Error(message, id=code) for code, message in coded_problems()]


def refuse_insecure_start() -> None:
    """For processes that run no system checks: exit with the problems as plain lines (no traceback).

    Raises SystemExit(message), which Python prints to stderr and turns into exit status 1.
    """
    found = problems()
    if found:
        raise SystemExit("\n".join(f"Refusing to start: {message}" for message in found))
