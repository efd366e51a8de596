"""Telephony by settings.TELEPHONY: "sim" (simulated callees, offline) or "twilio" (the Twilio REST API)."""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Telephony

CHOICES = ("sim", "twilio")


@lru_cache(maxsize=4)
def _build(name: str, account_sid: str, auth_token: str, base_url: str) -> Telephony:
    if name == "sim":
        from .sim import SimTelephony

        return SimTelephony()
    if name == "twilio":
        if not (account_sid and auth_token):
            raise ImproperlyConfigured("TELEPHONY=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.")
        from .twilio import TwilioTelephony

        return TwilioTelephony(account_sid, auth_token, base_url or None)
    raise ImproperlyConfigured(f"TELEPHONY={name!r} is not known; choose one of: {', '.join(CHOICES)}.")


def get_telephony() -> Telephony:
    """One instance per process and configuration (the Twilio client keeps its HTTP session warm)."""
    return _build(
        settings.TELEPHONY, settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE_URL
    )
