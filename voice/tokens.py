"""Signed, expiring tokens that put one call's id into its media WebSocket URL."""
from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "parley.voice.media"


class InvalidMediaToken(Exception):
    pass


def make_media_token(call_id: int) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(str(call_id))


def read_media_token(token: str, max_age: int | None = None) -> int:
    """The call id in `token`; raises InvalidMediaToken when forged, malformed or expired."""
    ttl = settings.MEDIA_TOKEN_TTL_SECONDS if max_age is None else max_age
    try:
        return int(signing.TimestampSigner(salt=_SALT).unsign(token, max_age=ttl))
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidMediaToken(str(exc)) from exc


def media_stream_url(call_id: int) -> str:
    """The wss:// (or ws:// for a local http base) URL Twilio's <Stream> connects to."""
    base = settings.PUBLIC_BASE_URL
    scheme, rest = base.split("://", 1)
    ws_scheme = "wss" if scheme == "https" else "ws"
    return f"{ws_scheme}://{rest}/media/{make_media_token(call_id)}"
