"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): the site's layout and when to try again."""
from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with 'try again in N minutes'; N is the whole cool-off (settings.AXES_COOLOFF_TIME).

    Every attempt during a lockout restarts the cool-off (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, on by
    default in django-axes 8), so the full cool-off from now is exactly when the account opens again.
    Source: django-axes docs, "Configuration" (AXES_LOCKOUT_CALLABLE, AXES_COOLOFF_TIME).
    """
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
