"""A call's progress as the provider reports it (status and AMD callbacks, sweeper reconciliation).

Idempotent and safe against out-of-order delivery: the status only moves forward (a `ringing` that
arrives after `completed` is kept in the timeline but changes nothing), and a terminal status is final.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from crm.models import Call

from .outcomes import TERMINAL_PROVIDER_STATUSES, is_ready

log = logging.getLogger(__name__)

_RANK_OF_PROVIDER = {"queued": 1, "initiated": 1, "ringing": 2, "in-progress": 3, "answered": 3}
_RANK_OF_OURS = {
    Call.Status.QUEUED: 0,
    Call.Status.DIALING: 1,
    Call.Status.RINGING: 2,
    Call.Status.IN_PROGRESS: 3,
    Call.Status.COMPLETED: 4,
    Call.Status.FAILED: 4,
    Call.Status.CANCELED: 4,
}
_OURS_OF_PROVIDER = {
    "queued": Call.Status.DIALING,
    "initiated": Call.Status.DIALING,
    "ringing": Call.Status.RINGING,
    "in-progress": Call.Status.IN_PROGRESS,
    "answered": Call.Status.IN_PROGRESS,
    "completed": Call.Status.COMPLETED,
    "busy": Call.Status.COMPLETED,
    "no-answer": Call.Status.COMPLETED,
    "failed": Call.Status.FAILED,
    "canceled": Call.Status.CANCELED,
}


def _rank(provider_status: str) -> int:
    return 4 if provider_status in TERMINAL_PROVIDER_STATUSES else _RANK_OF_PROVIDER.get(provider_status, -1)


def _enqueue_finalize(call_id: int) -> None:
    from .tasks import finalize_call

    finalize_call.delay(call_id)


def _notify(call_id: int, event: str, **data: Any) -> None:
    from voice import live

    live.notify(call_id, event, **data)


def apply_status(call_id: int, params: dict[str, str], now: dt.datetime | None = None) -> str:
    """Record one status report; returns what happened ("applied", "kept", "duplicate", "ignored: …")."""
    now = now or timezone.now()
    status = params.get("CallStatus", "")
    sid = params.get("CallSid", "")
    if status not in _OURS_OF_PROVIDER:
        return f"ignored: unknown status {status!r}"
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            return "ignored: unknown call"
        if call.provider_sid and sid != call.provider_sid:
            log.warning("Status for call %s names sid %s, not %s: ignored", call_id, sid, call.provider_sid)
            return "ignored: sid mismatch"
        events = list(call.status_events or [])
        if any(e.get("status") == status for e in events):
            return "duplicate"
        events.append({"status": status, "at": now.isoformat(), "seq": params.get("SequenceNumber", "")})
        call.status_events = events
        fields = ["status_events"]
        if not call.provider_sid and sid and call.finalized_at is None:
            call.provider_sid = sid  # the callback beat place_call to saving the sid
            fields.append("provider_sid")
        was_terminal = _RANK_OF_OURS[call.status] >= 4
        advanced = not was_terminal and _rank(status) > _RANK_OF_OURS[call.status]
        if advanced:
            call.status = _OURS_OF_PROVIDER[status]
            fields.append("status")
            duration = params.get("CallDuration", "")
            answered = status in ("in-progress", "answered") or (status == "completed" and duration not in ("", "0"))
            if answered and call.answered_at is None:
                call.answered_at = now
                fields.append("answered_at")
            if _rank(status) == 4:
                call.ended_at = now
                fields.append("ended_at")
                if duration.isdigit():
                    call.duration_seconds = int(duration)
                    fields.append("duration_seconds")
                if status == "failed" and params.get("ErrorCode"):
                    call.error = f"Provider error {params['ErrorCode']}: {params.get('ErrorMessage', '')}".strip()
                    fields.append("error")
        if params.get("AnsweredBy") and not call.answered_by:
            call.answered_by = params["AnsweredBy"]
            fields.append("answered_by")
        call.save(update_fields=fields)
        ended = advanced and _rank(status) == 4
        if ended:
            transaction.on_commit(lambda: _notify(call_id, "hangup"))
            if is_ready(call) and call.finalized_at is None:
                transaction.on_commit(lambda: _enqueue_finalize(call_id))
    return "applied" if advanced else "kept"


def apply_amd(call_id: int, params: dict[str, str]) -> str:
    """Record the answering-machine verdict (human, machine_start, machine_end_beep, fax, unknown…)."""
    answered_by = params.get("AnsweredBy", "")
    sid = params.get("CallSid", "")
    if not answered_by:
        return "ignored: no AnsweredBy"
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(pk=call_id).first()
        if call is None:
            return "ignored: unknown call"
        if call.provider_sid and sid != call.provider_sid:
            return "ignored: sid mismatch"
        if call.answered_by == answered_by:
            return "duplicate"
        call.answered_by = answered_by
        fields = ["answered_by"]
        if not call.provider_sid and sid and call.finalized_at is None:
            call.provider_sid = sid
            fields.append("provider_sid")
        call.save(update_fields=fields)
        if answered_by == "fax":
            # A fax line: no voicemail message, no conversation. Hang up now; the session just closes.
            sid_to_end = call.provider_sid
            transaction.on_commit(lambda: _hang_up_fax(call_id, sid_to_end))
        else:
            transaction.on_commit(lambda: _notify(call_id, "amd", answered_by=answered_by))
    return "applied"


def _hang_up_fax(call_id: int, sid: str | None) -> None:
    """End a call answered by a fax (Twilio AnsweredBy=fax): the provider hangs up, the voice session closes."""
    from voice.telephony import get_telephony
    from voice.telephony.base import TelephonyError

    _notify(call_id, "hangup")
    if sid:
        try:
            get_telephony().hangup(sid)
        except TelephonyError as exc:
            log.warning("Call %s answered by a fax: hang-up failed (%s); the provider will end it", call_id, exc)
