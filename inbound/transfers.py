"""Handing an inbound caller to a rep.

Warm (the default): the agent's tool records a `Transfer` with a one-sentence summary; once the agent's last
sentence was heard the session asks the telephony provider to ring the rep's phone with TwiML that says the
summary and then joins a conference named for the transfer, and moves the caller's leg into that conference
(hold until the rep arrives; `twiml.conference`). The rep's leg reports back (`rep_leg_status`): answered →
connected; busy / no answer / failed → the caller hears that a rep will call back, and a callback ticket is left.
Cold (the fallback when the rep's leg cannot be placed): the caller's leg dials the rep directly (<Dial>).
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from crm.models import Call
from voice.telephony import twiml
from voice.telephony.base import TelephonyError

from .models import Ticket, Transfer

log = logging.getLogger(__name__)

HOLD = "Please hold while I connect you."
MISSED = "Sorry, no one could take your call right now. We've noted your request and a rep will call you back soon."
ANSWERED_STATUSES = {"in-progress", "answered"}
MISSED_STATUSES = {"busy", "no-answer", "failed", "canceled"}
REP_RING_SECONDS = 20


def room_of(transfer: Transfer) -> str:
    return f"parley-transfer-{transfer.pk}"


def carry_out(telephony, sid: str, to: str, call_id: int) -> Transfer | None:
    """Transfer the caller's leg `sid` to `to`: warm when the call's tool recorded a pending transfer to `to`,
    cold (a plain <Dial>) otherwise or when the rep's leg cannot be placed. Raises TelephonyError only when
    even the cold transfer fails (the session then closes the stream). Returns the transfer row, if any."""
    transfer = Transfer.objects.filter(call_id=call_id, to_number=to, status=Transfer.Status.PENDING).first()
    if transfer is None:
        telephony.transfer(sid, to)
        return None
    call = Call.objects.select_related("phone_number").get(pk=call_id)
    from_ = str(call.phone_number.number) if call.phone_number else ""
    status_url = settings.PUBLIC_BASE_URL + reverse("inbound:twilio_transfer_status", args=[transfer.pk])
    try:
        rep_sid = telephony.warm_transfer(
            sid, to=to, from_=from_, whisper=transfer.summary, room=room_of(transfer), hold=HOLD,
            status_callback_url=status_url, ring_timeout=REP_RING_SECONDS,
        )
    except TelephonyError as exc:
        log.warning("call %s: warm transfer to %s failed (%s); transferring cold", call_id, to, exc)
        Transfer.objects.filter(pk=transfer.pk).update(mode=Transfer.Mode.COLD, error=str(exc)[:500])
        telephony.transfer(sid, to)
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.CONNECTED)
        return transfer
    Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PENDING).update(
        status=Transfer.Status.RINGING, rep_call_sid=rep_sid
    )
    return transfer


def rep_leg_status(transfer_id: int, params: dict[str, str]) -> str:
    """A status report of the rep's leg: "connected", "missed" (caller told, callback ticket left), or "kept"."""
    from voice.telephony import get_telephony

    status = params.get("CallStatus", "")
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().select_related("call__lead").filter(pk=transfer_id).first()
        if transfer is None:
            return "ignored: unknown transfer"
        if transfer.rep_call_sid and params.get("CallSid") not in ("", None, transfer.rep_call_sid):
            return "ignored: sid mismatch"
        if status in ANSWERED_STATUSES and transfer.status in (Transfer.Status.PENDING, Transfer.Status.RINGING):
            transfer.status = Transfer.Status.CONNECTED
            transfer.save(update_fields=["status"])
            return "connected"
        if status not in MISSED_STATUSES or transfer.status not in (Transfer.Status.PENDING, Transfer.Status.RINGING):
            return "kept"
        transfer.status = Transfer.Status.MISSED
        transfer.save(update_fields=["status"])
        call = transfer.call
        Ticket.objects.create(
            call=call, lead=call.lead, phone_number_id=call.phone_number_id, category=Ticket.Category.CALLBACK,
            summary=f"Transfer to {transfer.to_number} not answered ({status}). {transfer.summary}",
        )
    if call.provider_sid:
        try:
            get_telephony().redirect(call.provider_sid, twiml.say_and_hang_up(MISSED))
        except TelephonyError as exc:
            log.warning("call %s: could not tell the caller the transfer was missed (%s)", call.pk, exc)
    return "missed"
