"""The REST API, version 1: django-ninja, mounted at /api/v1/ (OpenAPI 3 at /api/v1/openapi.json, docs page at
/api/v1/docs, served from local static files). Endpoints are thin: they check the role and call the same plain
functions the pages and tasks call."""
from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

from .auth import RateLimited, TokenAuth
from .idempotency import IdempotencyConflict

api = NinjaAPI(
    title="Parley API",
    version="1",
    description="Push leads, run campaigns and read calls and meetings. Every request needs a token from your "
    "account page: `Authorization: Bearer parley_…`. Integration guide: docs/api.md.",
    auth=TokenAuth(),
    urls_namespace="api-v1",
)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited):
    verdict = exc.verdict
    response = api.create_response(
        request, {"detail": f"Rate limit of {verdict.limit} requests a minute reached; retry later."}, status=429
    )
    response["Retry-After"] = str(verdict.reset_in)
    response["X-RateLimit-Limit"] = str(verdict.limit)
    response["X-RateLimit-Remaining"] = "0"
    return response


@api.exception_handler(IdempotencyConflict)
def idempotency_conflict(request: HttpRequest, exc: IdempotencyConflict):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status)


def _mount() -> None:
    from . import call_routes, campaign_routes, dnc_routes, lead_routes, meeting_routes

    api.add_router("/leads", lead_routes.router)
    api.add_router("/campaigns", campaign_routes.router)
    api.add_router("/calls", call_routes.router)
    api.add_router("/meetings", meeting_routes.router)
    api.add_router("/dnc", dnc_routes.router)


_mount()
