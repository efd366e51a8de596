"""Creating, checking and revoking API tokens.

A token is "parley_" + 12 lowercase letters/digits (the lookup prefix) + "_" + 43 URL-safe characters (32 random
bytes). Only SHA-256 of the whole token is stored: 256 bits of randomness need no slow hash, and a database leak
gives nobody a usable token. Checked with a constant-time comparison."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string

from django.utils import timezone

from .models import ApiToken

PREFIX_ALPHABET = string.ascii_lowercase + string.digits
PREFIX_LENGTH = 12
LAST_USED_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often per token


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token text (shown once, never stored)."""
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    text = f"parley_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(user=user, name=name.strip()[:100] or "API token", prefix=prefix, digest=digest(text))
    return row, text


def authenticate(text: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The active token `text` names (its user loaded), or None: unknown, malformed, revoked, or inactive user."""
    parts = (text or "").strip().split("_")
    if len(parts) < 3 or parts[0] != "parley" or len(parts[1]) != PREFIX_LENGTH:
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if row is None or not hmac.compare_digest(row.digest, digest(text.strip())) or not row.user.is_active:
        return None
    now = now or timezone.now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def revoke(user, token_id: int) -> bool:
    """Revoke one of `user`'s tokens; False if it is not theirs or already revoked."""
    return bool(
        ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )
