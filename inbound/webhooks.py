"""Twilio webhooks of inbound calls, signed like the others (unsigned or forged: 403).

- `POST /telephony/twilio/incoming/`: the number's Voice URL; answers TwiML (`answering.answer_incoming`).
- `POST /telephony/twilio/incoming/status/`: the number's status callback URL; the call is found by CallSid
  (a number's callback URL cannot carry our call id) and the report applied like an outbound call's.
- `POST /telephony/twilio/transfer/<id>/status/`: the rep's leg of a warm transfer (`transfers.rep_leg_status`).
"""
from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.models import Call
from dialer import call_status
from dialer.webhooks import _refuse, is_signed

from . import transfers
from .answering import answer_incoming


@csrf_exempt
@require_POST
def incoming(request: HttpRequest) -> HttpResponse:
    if not is_signed(request):
        return _refuse(request)
    answer = answer_incoming(request.POST.dict(), provider=settings.TELEPHONY)
    return HttpResponse(answer.twiml, content_type="text/xml")


@csrf_exempt
@require_POST
def incoming_status(request: HttpRequest) -> HttpResponse:
    if not is_signed(request):
        return _refuse(request)
    sid = request.POST.get("CallSid", "")
    call_id = Call.objects.filter(provider_sid=sid, direction=Call.Direction.INBOUND).values_list("pk", flat=True)
    result = call_status.apply_status(call_id[0], request.POST.dict()) if sid and call_id else "ignored: unknown call"
    return HttpResponse(result, content_type="text/plain")


@csrf_exempt
@require_POST
def transfer_status(request: HttpRequest, transfer_id: int) -> HttpResponse:
    if not is_signed(request):
        return _refuse(request)
    return HttpResponse(transfers.rep_leg_status(transfer_id, request.POST.dict()), content_type="text/plain")
