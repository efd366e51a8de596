"""The `Parley-Signature` header: HMAC-SHA256 of "{timestamp}.{body}" with the endpoint's secret.

Header shape: `Parley-Signature: t=1764512345,v1=5f2b…` (t: Unix seconds when the attempt was signed; v1: lowercase
hex HMAC-SHA256, RFC 2104, of the ASCII timestamp, a ".", and the exact request body bytes). A receiver recomputes
v1 over the raw body it received, compares in constant time and refuses a timestamp older than its tolerance, which
stops replays of a captured request. The same scheme as Stripe's webhook signatures.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Parley-Signature"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A fresh endpoint secret: "whsec_" and 32 random bytes, URL-safe base64."""
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """Lowercase hex HMAC-SHA256 of f"{timestamp}.{body}" under `secret`."""
    payload = body.encode() if isinstance(body, str) else body
    return hmac.new(secret.encode(), f"{int(timestamp)}.".encode() + payload, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes | str, timestamp: int | None = None) -> str:
    """The value of the Parley-Signature header for `body`, signed now (or at `timestamp`, Unix seconds)."""
    t = int(time.time() if timestamp is None else timestamp)
    return f"t={t},v1={sign(secret, t, body)}"


def verify(secret: str, header: str, body: bytes | str, *, tolerance: float = TOLERANCE_SECONDS,
           now: float | None = None) -> bool:
    """Whether `header` is a valid signature of `body` made within `tolerance` seconds of `now`.

    What a receiver does (docs/api.md shows it in a few lines of Python). Any v1 entry may match, so a sender may
    sign with two secrets while one is rotated."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
