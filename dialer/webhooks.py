"""Twilio webhooks: status and answering-machine callbacks. Signed by the provider, or refused with 403."""
from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from voice.telephony import get_telephony

from . import call_status

log = logging.getLogger(__name__)


def is_signed(request: HttpRequest) -> bool:
    """Checked against the public URL the provider called (PUBLIC_BASE_URL + path), not the internal one, in the
    provider's header (Twilio: X-Twilio-Signature; SignalWire: X-SignalWire-Signature, see voice/telephony)."""
    telephony = get_telephony()
    headers = getattr(telephony, "signature_headers", ("X-Twilio-Signature",))
    signature = next((request.headers[h] for h in headers if request.headers.get(h)), "")
    if not signature:
        return False
    url = f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
    return telephony.validate_webhook(url, request.POST.dict(), signature)


def _refuse(request: HttpRequest) -> HttpResponse:
    log.warning("Refused unsigned or forged callback to %s from %s", request.path, request.META.get("REMOTE_ADDR"))
    return HttpResponseForbidden("Invalid or missing webhook signature")


def _signed_callback(apply: Callable[[int, dict[str, str]], str]) -> Callable[..., HttpResponse]:
    """A POST-only view that refuses unsigned requests (403) and hands the form to `apply`."""

    @csrf_exempt
    @require_POST
    def view(request: HttpRequest, call_id: int) -> HttpResponse:
        if not is_signed(request):
            return _refuse(request)
        return HttpResponse(apply(call_id, request.POST.dict()), status=200, content_type="text/plain")

    return view


twilio_status = _signed_callback(call_status.apply_status)
twilio_amd = _signed_callback(call_status.apply_amd)
