"""The sweeper: reconcile calls a lost worker, a lost callback or a session that never ended left behind.

Calls are reconciled from the provider's own record (`Telephony.fetch`); claimed calls the provider never
received are released back to the hopper with their attempt refunded.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

from django.conf import settings
from django.utils import timezone

from crm.models import Call
from voice.telephony import get_telephony
from voice.telephony.base import TelephonyError

from . import call_status, outcomes

log = logging.getLogger(__name__)


def _ago(now: dt.datetime, seconds: float) -> dt.datetime:
    return now - dt.timedelta(seconds=seconds)


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass; returns counts of what it did (released, adopted, reconciled, finalized)."""
    now = now or timezone.now()
    batch = settings.DIALER_SWEEP_BATCH
    done: Counter[str] = Counter()
    telephony = get_telephony()
    open_calls = Call.objects.filter(finalized_at__isnull=True)

    never_placed = open_calls.filter(
        status=Call.Status.QUEUED,
        provider_sid__isnull=True,
        created_at__lt=_ago(now, settings.DIALER_STALE_QUEUED_SECONDS),
    ).values_list("pk", flat=True)[:batch]
    for call_id in list(never_placed):
        done["released"] += outcomes.release_call(call_id, "Never placed (worker lost or queue stalled)", now=now)

    unsure = open_calls.filter(
        status=Call.Status.DIALING,
        provider_sid__isnull=True,
        placed_at__lt=_ago(now, settings.DIALER_STALE_DIALING_SECONDS),
    ).select_related("lead")[:batch]
    for call in list(unsure):
        try:
            found = telephony.find_placed(call.pk, str(call.lead.phone), call.placed_at - dt.timedelta(minutes=1))
        except TelephonyError as exc:
            log.warning("Sweeper could not ask the provider about call %s: %s", call.pk, exc)
            continue
        if found is None:
            done["released"] += outcomes.release_call(
                call.pk, "The provider never received the dial", now=now, from_status=Call.Status.DIALING
            )
        elif Call.objects.filter(pk=call.pk, provider_sid__isnull=True).update(provider_sid=found.sid):
            done["adopted"] += 1

    stale = open_calls.filter(
        provider_sid__isnull=False, placed_at__lt=_ago(now, settings.DIALER_STALE_CALL_SECONDS)
    ).select_related("campaign").order_by("placed_at")[:batch]
    for call in list(stale):
        if _talking(call, now):
            continue
        done[_reconcile(call, telephony, now)] += 1
    return {k: v for k, v in done.items() if k != "unchanged"}


def _talking(call: Call, now: dt.datetime) -> bool:
    """A voice session is live and the call is shorter than the campaign allows: no need to ask the provider."""
    limit = call.campaign.max_call_seconds + settings.DIALER_STALE_CALL_SECONDS
    return (
        call.status == Call.Status.IN_PROGRESS
        and call.media_started_at is not None
        and call.media_ended_at is None
        and call.placed_at >= _ago(now, limit)
    )


def _reconcile(call: Call, telephony, now: dt.datetime) -> str:
    if not outcomes.provider_terminal_status(call) and call.status not in (Call.Status.FAILED, Call.Status.CANCELED):
        try:
            record = telephony.fetch(call.provider_sid)
        except TelephonyError as exc:
            log.warning("Sweeper could not fetch %s: %s", call.provider_sid, exc)
            return "unchanged"
        if record.status not in outcomes.TERMINAL_PROVIDER_STATUSES:
            return "unchanged"  # still ringing or talking, by the provider's own account
        params = {"CallSid": record.sid, "CallStatus": record.status, "AnsweredBy": record.answered_by}
        if record.duration is not None:
            params["CallDuration"] = str(record.duration)
        call_status.apply_status(call.pk, params, now)
        call.refresh_from_db()
    session_lost = call.ended_at is not None and call.ended_at < _ago(now, settings.DIALER_STALE_MEDIA_SECONDS)
    if outcomes.finalize_call(call.pk, now, force=session_lost):
        return "finalized"
    return "reconciled"
