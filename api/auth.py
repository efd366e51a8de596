"""Who is calling the API: a Bearer token (api/tokens.py) acting as its user, within that token's rate limit; and
the role checks endpoints make, the same ones the pages make (crm/roles.py)."""
from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from crm.roles import has_role

from . import ratelimit, tokens


class RateLimited(Exception):
    def __init__(self, verdict: ratelimit.Verdict) -> None:
        super().__init__("rate limited")
        self.verdict = verdict


class TokenAuth(HttpBearer):
    """`Authorization: Bearer parley_…`. A valid token sets `request.user` to its user; the request then counts
    against the token's per-minute limit (429 with Retry-After past it)."""

    openapi_description = "A token from your account page (/account/), sent as `Authorization: Bearer parley_…`."

    def authenticate(self, request: HttpRequest, token: str):
        row = tokens.authenticate(token)
        if row is None:
            return None
        verdict = ratelimit.hit(row.prefix)
        if not verdict.allowed:
            raise RateLimited(verdict)
        request.user = row.user
        request.api_token = row
        return row


def require(request: HttpRequest, *roles: str) -> None:
    """403 unless the token's user holds one of `roles` (Admins always do)."""
    if not has_role(request.user, *roles):
        raise HttpError(403, f"This token's user is not allowed here (needs: {', '.join(roles) or 'Admins'}).")
