"""Ring one of our numbers as a simulated caller (signed webhook, TwiML, media stream) and wait for the end."""
from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from crm.models import Call
from voice import metrics
from voice.telephony import get_telephony


def ring(number, persona: str, from_: str, timeout: float = 120) -> Call:
    telephony = get_telephony()
    base = settings.PUBLIC_BASE_URL
    future = telephony.ring_inbound(
        str(number.number), from_, persona, base + reverse("inbound:twilio_incoming"),
        base + reverse("inbound:twilio_incoming_status"),
    )
    result = future.result(timeout=timeout)
    call = Call.objects.get(provider_sid=result.sid)
    metrics.wait_for(call.pk, timeout=30)
    return wait_finalized(call)


def wait_finalized(call: Call, timeout: float = 30) -> Call:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        call.refresh_from_db()
        if call.finalized_at is not None:
            return call
        time.sleep(0.05)
    raise AssertionError(f"call {call.pk} was not finalized")


def agent_said(call: Call) -> str:
    return " ".join(call.turns.filter(speaker="agent").order_by("index").values_list("text", flat=True))
