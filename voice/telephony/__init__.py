"""Telephony by settings.TELEPHONY: "sim" (simulated callees, offline), "twilio" (the Twilio REST API) or
"signalwire" (SignalWire's Twilio-compatible LaML API, voice/telephony/signalwire.py)."""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .base import Telephony

CHOICES = ("sim", "twilio", "signalwire")
REQUIRED = {
    "twilio": ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"),
    "signalwire": ("SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE_URL", "SIGNALWIRE_SIGNING_KEY"),
}


def missing_settings(name: str, source: object = settings) -> list[str]:
    """The variables TELEPHONY=`name` needs that are not set in `source` (every one, not just the first)."""
    return [key for key in REQUIRED.get(name, ()) if not getattr(source, key, "")]


def check_telephony_settings() -> None:
    """Raise ImproperlyConfigured naming the provider and every missing variable."""
    name = settings.TELEPHONY
    if name not in CHOICES:
        raise ImproperlyConfigured(f"TELEPHONY={name!r} is not known; choose one of: {', '.join(CHOICES)}.")
    missing = missing_settings(name)
    if missing:
        raise ImproperlyConfigured(f"TELEPHONY={name} needs {' and '.join(missing)}.")


@lru_cache(maxsize=4)
def _build(name: str, credentials: tuple[str, ...]) -> Telephony:
    if name == "sim":
        from .sim import SimTelephony

        return SimTelephony()
    if name == "twilio":
        from .twilio import TwilioTelephony

        account_sid, auth_token, base_url = credentials
        return TwilioTelephony(account_sid, auth_token, base_url or None)
    from .signalwire import SignalWireTelephony

    project_id, api_token, space_url, signing_key = credentials
    return SignalWireTelephony(project_id, api_token, space_url, signing_key)


def get_telephony() -> Telephony:
    """One instance per process and configuration (the REST client keeps its HTTP session warm)."""
    check_telephony_settings()
    name = settings.TELEPHONY
    if name == "twilio":
        credentials: tuple[str, ...] = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN,
                                        settings.TWILIO_API_BASE_URL)
    elif name == "signalwire":
        credentials = (settings.SIGNALWIRE_PROJECT_ID, settings.SIGNALWIRE_API_TOKEN, settings.SIGNALWIRE_SPACE_URL,
                       settings.SIGNALWIRE_SIGNING_KEY)
    else:
        credentials = ()
    return _build(name, credentials)
