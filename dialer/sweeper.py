"""The sweeper: reconcile calls a lost worker, a lost callback or a session that never ended left behind.

Calls are reconciled from the provider's own record (`Telephony.fetch`); claimed calls the provider never
received are released back to the hopper with their attempt refunded. The sweep never stops on one call:
each call is handled in its own transaction (a savepoint), an error is logged and counted ("errors") and
the sweep goes on. Candidates are read page by page (keyset on placed_at, id), so live conversations that
need no polling cannot fill a page and starve older stuck calls. Every open call ends within a bound:

- the provider says the call does not exist (Twilio 20404): ended as failed, reason recorded;
- the provider's call ended but the voice session never saved: finalized DIALER_STALE_MEDIA_SECONDS later;
- voice session and callbacks both silent past max_call_seconds + DIALER_STALE_CALL_SECONDS +
  DIALER_STALE_MEDIA_SECONDS (the hosting process stopped): hung up at the provider and finalized;
- ended (failed/canceled) but never finalized (a crash between steps): finalized;
- a hopper row CLAIMED with no open call (an orphan): back to RETRY.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import Call
from voice.telephony import get_telephony
from voice.telephony.base import CallNotFoundError, Telephony, TelephonyError

from . import call_status, outcomes, reconcile

log = logging.getLogger(__name__)
MAX_PAGES = 20  # per category and pass: bounds one pass's work whatever the backlog


def _ago(now: dt.datetime, seconds: float) -> dt.datetime:
    return now - dt.timedelta(seconds=seconds)


def _pages(query: QuerySet, batch: int) -> Iterator[Call]:
    """Rows of `query` oldest first (placed_at/created_at, id), one page of `batch` at a time."""
    last: tuple | None = None
    for _ in range(MAX_PAGES):
        page = query
        if last is not None:
            page = page.filter(Q(created_at__gt=last[0]) | Q(created_at=last[0], pk__gt=last[1]))
        rows = list(page.order_by("created_at", "pk")[:batch])
        yield from rows
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].pk)


def _each(done: Counter, calls: Iterator[Call], handle: Callable[[Call], str], budget: int) -> None:
    """Run `handle` on each call in its own transaction; count results; an error never stops the sweep.
    At most `budget` calls are acted on (skips and "unchanged" don't count)."""
    acted = 0
    for call in calls:
        if acted >= budget:
            return
        try:
            with transaction.atomic():
                result = handle(call)
        except Exception:  # one bad call must not stop the sweep: log, count, go on
            log.exception("Sweeper failed on call %s", call.pk)
            result = "errors"
        if result not in ("skip", "unchanged"):
            acted += 1
        done[result] += 1


def sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass; returns counts of what it did (released, adopted, reconciled, finalized, not_found,
    timed_out, orphans, errors). Safe to run concurrently with workers and with itself."""
    now = now or timezone.now()
    batch = settings.DIALER_SWEEP_BATCH
    done: Counter[str] = Counter()
    telephony = get_telephony()
    open_calls = Call.objects.filter(finalized_at__isnull=True)

    never_placed = open_calls.filter(
        status=Call.Status.QUEUED,
        provider_sid__isnull=True,
        created_at__lt=_ago(now, settings.DIALER_STALE_QUEUED_SECONDS),
    )
    _each(done, _pages(never_placed, batch), lambda c: _release_never_placed(c, now), batch)

    unsure = open_calls.filter(
        status=Call.Status.DIALING,
        provider_sid__isnull=True,
        placed_at__lt=_ago(now, settings.DIALER_STALE_DIALING_SECONDS),
    ).select_related("lead", "campaign")
    _each(done, _pages(unsure, batch), lambda c: _find(c, telephony, now), batch)

    ended_unfinalized = open_calls.filter(
        provider_sid__isnull=True,
        status__in=(Call.Status.FAILED, Call.Status.CANCELED, Call.Status.COMPLETED),
        ended_at__lt=_ago(now, settings.DIALER_STALE_DIALING_SECONDS),
    )
    _each(done, _pages(ended_unfinalized, batch), lambda c: _finalize(c.pk, now), batch)

    stale = open_calls.filter(
        provider_sid__isnull=False, placed_at__lt=_ago(now, settings.DIALER_STALE_CALL_SECONDS)
    ).select_related("campaign", "phone_number")
    _each(done, _pages(stale, batch), lambda c: _reconcile_stale(c, telephony, now), batch)

    done["orphans"] += release_orphans(now)
    return {k: v for k, v in done.items() if k not in ("unchanged", "skip") and v}


def _release_never_placed(call: Call, now: dt.datetime) -> str:
    released = outcomes.release_call(call.pk, "Never placed (worker lost or queue stalled)", now=now)
    return "released" if released else "unchanged"


def _find(call: Call, telephony: Telephony, now: dt.datetime) -> str:
    try:
        found = reconcile.find_and_adopt(call, telephony, now, release_if_missing=True)
    except TelephonyError as exc:
        log.warning("Sweeper could not ask the provider about call %s: %s", call.pk, exc)
        return "unchanged"
    return {reconcile.Found.ADOPTED: "adopted", reconcile.Found.RELEASED: "released"}.get(found, "unchanged")


def _finalize(call_id: int, now: dt.datetime) -> str:
    return "finalized" if outcomes.finalize_call(call_id, now, force=True) else "unchanged"


def _hard_limit(call: Call) -> float:
    """Seconds after placing by which every call is over, whatever its session or callbacks say."""
    return call.max_call_seconds + settings.DIALER_STALE_CALL_SECONDS + settings.DIALER_STALE_MEDIA_SECONDS


def _talking(call: Call, now: dt.datetime) -> bool:
    """A voice session is live and the call is shorter than the campaign allows: no need to ask the provider."""
    limit = call.max_call_seconds + settings.DIALER_STALE_CALL_SECONDS
    return (
        call.status == Call.Status.IN_PROGRESS
        and call.media_started_at is not None
        and call.media_ended_at is None
        and call.placed_at >= _ago(now, limit)
    )


def _reconcile_stale(call: Call, telephony: Telephony, now: dt.datetime) -> str:
    if _talking(call, now):
        return "skip"
    if call.status not in (Call.Status.FAILED, Call.Status.CANCELED) and not outcomes.provider_terminal_status(call):
        try:
            record = telephony.fetch(call.provider_sid)
        except CallNotFoundError as exc:
            return _end_unknown_to_provider(call, str(exc), now)
        except TelephonyError as exc:
            log.warning("Sweeper could not fetch %s: %s", call.provider_sid, exc)
            return "unchanged"
        if record.status not in outcomes.TERMINAL_PROVIDER_STATUSES:
            if call.placed_at >= _ago(now, _hard_limit(call)):
                return "unchanged"  # still ringing or talking, by the provider's own account
            return _end_silent(call, telephony, now)
        params = {"CallSid": record.sid, "CallStatus": record.status, "AnsweredBy": record.answered_by}
        if record.duration is not None:
            params["CallDuration"] = str(record.duration)
        call_status.apply_status(call.pk, params, now)
        call.refresh_from_db()
    ended = call.ended_at or call.placed_at
    session_lost = ended is not None and ended < _ago(now, settings.DIALER_STALE_MEDIA_SECONDS)
    if outcomes.finalize_call(call.pk, now, force=session_lost):
        return "finalized"
    return "reconciled"


def _end_unknown_to_provider(call: Call, reason: str, now: dt.datetime) -> str:
    """The provider has no such call (20404): it can never report an end, so end it here, failed."""
    Call.objects.filter(pk=call.pk, finalized_at__isnull=True).update(
        status=Call.Status.FAILED, error=f"The provider has no record of this call ({reason})", ended_at=now
    )
    outcomes.finalize_call(call.pk, now, force=True)
    return "not_found"


def _end_silent(call: Call, telephony: Telephony, now: dt.datetime) -> str:
    """Past every limit with neither a session end nor a final callback: hang up and finish the call."""
    try:
        telephony.hangup(call.provider_sid)
    except TelephonyError as exc:
        log.warning("Sweeper could not hang up %s: %s", call.provider_sid, exc)
    Call.objects.filter(pk=call.pk, finalized_at__isnull=True).update(
        status=Call.Status.COMPLETED,
        error="Voice session and provider callbacks went silent; ended by the sweeper",
        ended_at=now,
    )
    outcomes.finalize_call(call.pk, now, force=True)
    return "timed_out"


def release_orphans(now: dt.datetime) -> int:
    """Hopper rows CLAIMED with no open call: give them back (RETRY, due now). Returns how many."""
    open_call = Call.objects.filter(campaign_lead_id=OuterRef("pk"), finalized_at__isnull=True)
    orphans = CampaignLead.objects.filter(state=CampaignLead.State.CLAIMED).exclude(Exists(open_call))
    with transaction.atomic():
        ids = list(orphans.select_for_update(skip_locked=True).values_list("pk", flat=True)[:1000])
        if not ids:
            return 0
        moved = CampaignLead.objects.filter(pk__in=ids, state=CampaignLead.State.CLAIMED).exclude(
            Exists(open_call)
        ).update(state=CampaignLead.State.RETRY, claimed_at=None, next_attempt_at=now, updated_at=now)
    if moved:
        log.warning("Sweeper gave back %s hopper rows claimed without an open call", moved)
    return moved
