"""Input no endpoint can store: NUL characters (PostgreSQL text refuses U+0000) anywhere in an API request's
path, query or body are answered 400 before any view runs, instead of failing deep inside the database."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse

PREFIX = "/api/"


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path.startswith(PREFIX) and _has_nul(request):
            return JsonResponse({"detail": "NUL characters (U+0000) are not accepted in requests."}, status=400)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    body = request.body if request.method in ("POST", "PUT", "PATCH", "DELETE") else b""
    return b"\x00" in body or b"\\u0000" in body
