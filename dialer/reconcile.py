"""Dials whose outcome we do not know: find the provider's call by what we sent, adopt it, or release the lead.

A dial request that timed out, got a 5xx or lost its connection after sending may have been accepted by
the provider. Such a call stays DIALING without a sid and is never dialed again blindly: it is looked up
at the provider (`Telephony.find_placed`: To + From + time, skipping sids other calls own) and adopted if
found; only when the provider has no record of it after `settings.DIALER_STALE_DIALING_SECONDS` is the
call released and the lead's attempt refunded.
"""
from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from django.db import IntegrityError, transaction

from crm.models import Call
from voice.telephony.base import Telephony

from . import outcomes

log = logging.getLogger(__name__)
LOOKBACK = dt.timedelta(minutes=1)  # provider clocks vs ours


class Found(StrEnum):
    ADOPTED = "adopted"
    RELEASED = "released"
    MISSING = "missing"  # not found yet; too early to release
    GONE = "gone"  # the call moved on meanwhile (callback saved a sid, finalized...)


def taken_sids(call: Call, since: dt.datetime) -> list[str]:
    """Sids other Parley calls to the same lead already own (never ours to adopt)."""
    return list(
        Call.objects.filter(lead_id=call.lead_id, provider_sid__isnull=False, created_at__gte=since - LOOKBACK)
        .exclude(pk=call.pk)
        .values_list("provider_sid", flat=True)
    )


def find_and_adopt(call: Call, telephony: Telephony, now: dt.datetime, *, release_if_missing: bool) -> Found:
    """Look `call` (DIALING, no sid) up at the provider; adopt its sid if found, else release it if asked.

    Raises TelephonyError when the provider cannot be asked (the call stays as it is).
    """
    since = (call.placed_at or call.created_at) - LOOKBACK
    found = telephony.find_placed(
        call.pk, str(call.lead.phone), since, from_=call.campaign.caller_id, taken=taken_sids(call, since)
    )
    if found is None:
        if not release_if_missing:
            return Found.MISSING
        released = outcomes.release_call(
            call.pk, "The provider never received the dial", now=now, from_status=Call.Status.DIALING
        )
        return Found.RELEASED if released else Found.GONE
    try:
        with transaction.atomic():
            adopted = Call.objects.filter(pk=call.pk, provider_sid__isnull=True, finalized_at__isnull=True).update(
                provider_sid=found.sid, provider=telephony.name, error=""
            )
    except IntegrityError:
        log.error("Call %s: provider call %s already belongs to another call; not adopted", call.pk, found.sid)
        return Found.MISSING
    if adopted:
        log.info("Call %s: adopted provider call %s after an unknown-outcome dial", call.pk, found.sid)
        return Found.ADOPTED
    return Found.GONE
