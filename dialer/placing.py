"""Placing one claimed call: last checks (do-not-call, window, campaign still running), then the provider dials.

A call moves QUEUED -> DIALING under a row lock before the provider is asked, so a retried or duplicated
`place_call` never dials twice; a call that has a provider sid is never dialed again.
"""
from __future__ import annotations

import datetime as dt
import logging
from enum import StrEnum

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from crm.models import Call, DoNotCall
from voice.telephony import get_telephony
from voice.telephony.base import (
    CallerIdError,
    DialRequest,
    InvalidNumberError,
    PermanentTelephonyError,
    TelephonyError,
    TransientTelephonyError,
    UnknownOutcomeError,
)
from voice.tokens import media_stream_url

from . import controls, lawful, outcomes, reconcile, windows

log = logging.getLogger(__name__)


class Placed(StrEnum):
    DIALED = "dialed"
    SKIPPED = "skipped"  # already dialed, dialing, or finished
    RELEASED = "released"  # campaign not running or lead outside its window: lead goes back to the hopper
    BLOCKED = "blocked"  # do-not-call at dial time
    FAILED = "failed"  # permanent provider error
    UNKNOWN = "unknown"  # the provider may have the call: stays DIALING until found (adopted) or released


def public_url(path: str) -> str:
    from django.conf import settings

    return f"{settings.PUBLIC_BASE_URL}{path}"


def dial_request(call: Call) -> DialRequest:
    return DialRequest(
        call_id=call.pk,
        to=str(call.lead.phone),
        from_=call.campaign.caller_id,
        stream_url=media_stream_url(call.pk),
        status_callback_url=public_url(reverse("dialer:twilio_status", args=[call.pk])),
        amd_callback_url=public_url(reverse("dialer:twilio_amd", args=[call.pk])),
        ring_timeout=call.campaign.ring_timeout_seconds,
        machine_detection=True,
    )


def place_call(call_id: int, now: dt.datetime | None = None) -> Placed:
    """Dial `call_id` at most once. Raises TransientTelephonyError (after putting the call back to QUEUED) only
    when the error proves nothing reached the provider; an unknown outcome is looked up, never retried."""
    now = now or timezone.now()
    with transaction.atomic():
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related("lead", "campaign")
            .annotate(on_dnc=Exists(DoNotCall.objects.filter(phone=OuterRef("lead__phone"))))
            .filter(pk=call_id)
            .first()
        )
        if call is None or call.provider_sid or call.status != Call.Status.QUEUED or call.finalized_at:
            return Placed.SKIPPED
        campaign = call.campaign
        if campaign.status != Campaign.Status.RUNNING:
            outcomes.release_call(call_id, f"Campaign {campaign.get_status_display().lower()} before dialing", now=now)
            return Placed.RELEASED
        blocked = call.on_dnc
        if not blocked:
            if not windows.lead_inside(call.lead, campaign, now):
                outcomes.release_call(
                    call_id, "Outside the lead's calling window at dial time", Call.Outcome.BLOCKED, now=now
                )
                return Placed.RELEASED
            rule_says = lawful.dial_blocker(call.lead, campaign, now, exclude_call=call_id)
            if rule_says:
                reason = f"Jurisdiction rule at dial time: {rule_says}"
                outcomes.release_call(call_id, reason, Call.Outcome.BLOCKED, now=now)
                return Placed.RELEASED
            Call.objects.filter(pk=call_id).update(status=Call.Status.DIALING, placed_at=now)
    if blocked:
        outcomes.end_before_dial(
            call_id, Call.Outcome.BLOCKED, "On the do-not-call list at dial time", now, status=Call.Status.CANCELED
        )
        return Placed.BLOCKED

    telephony = get_telephony()
    try:
        sid = telephony.place_call(dial_request(call))
    except TransientTelephonyError as exc:
        Call.objects.filter(pk=call_id, status=Call.Status.DIALING, provider_sid__isnull=True).update(
            status=Call.Status.QUEUED, error=f"Retrying: {exc}"
        )
        raise
    except UnknownOutcomeError as exc:
        return _unknown_outcome(call, telephony, exc, now)
    except PermanentTelephonyError as exc:
        _fail_permanently(call, exc, now)
        return Placed.FAILED
    # A status callback may have recorded the sid already; never overwrite a different one.
    saved = Call.objects.filter(pk=call_id, provider_sid__isnull=True, finalized_at__isnull=True).update(
        provider_sid=sid, provider=telephony.name
    )
    if not saved and not Call.objects.filter(pk=call_id, provider_sid=sid).exists():
        # Released while the provider was answering (a sweeper threshold far too short): don't let it ring on.
        log.error("Call %s was released while dialing; hanging up provider call %s", call_id, sid)
        telephony.hangup(sid)
    return Placed.DIALED


def _unknown_outcome(call: Call, telephony, exc: UnknownOutcomeError, now: dt.datetime) -> Placed:
    """The dial may have been accepted: keep the call DIALING (never re-dialed) and look it up at once;
    what is not found yet is left to the sweeper, which adopts or releases it."""
    log.warning("Call %s: dial outcome unknown (%s); reconciling with the provider", call.pk, exc)
    Call.objects.filter(pk=call.pk, status=Call.Status.DIALING, provider_sid__isnull=True).update(
        error=f"Dial outcome unknown: {exc}"
    )
    try:
        found = reconcile.find_and_adopt(call, telephony, now, release_if_missing=False)
    except TelephonyError as lookup_exc:
        log.warning("Call %s: provider lookup failed (%s); the sweeper will retry it", call.pk, lookup_exc)
        return Placed.UNKNOWN
    return Placed.DIALED if found == reconcile.Found.ADOPTED else Placed.UNKNOWN


def _fail_permanently(call: Call, exc: PermanentTelephonyError, now: dt.datetime) -> None:
    reason = str(exc) or exc.__class__.__name__
    if isinstance(exc, CallerIdError):
        # The campaign's number is unusable: no lead is to blame, so the lead keeps its attempt.
        outcomes.release_call(call.pk, reason, Call.Outcome.FAILED, now=now, from_status=Call.Status.DIALING)
        controls.pause_for_error(call.campaign_id, reason)
        return
    outcome = Call.Outcome.INVALID_NUMBER if isinstance(exc, InvalidNumberError) else Call.Outcome.FAILED
    outcomes.end_before_dial(call.pk, outcome, reason, now)


def give_up(call_id: int, reason: str) -> None:
    """Transient errors outlasted every retry: end the call as failed (the lead's retry rules apply)."""
    outcomes.end_before_dial(call_id, Call.Outcome.FAILED, f"Gave up after retries: {reason}")


def retry_delay(retries: int) -> int:
    """Seconds before the next try of a transient failure: 5, 10, 20, 40, 80 (capped at 5 minutes)."""
    return min(300, 5 * 2**retries)
