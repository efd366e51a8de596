"""The voice loop's reads and writes of the system of record: synchronous, called through `voice.db.run`
only when a call starts, a turn ends and the call ends (never per frame)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.scripts import script_fields
from crm.models import Call, Turn
from voice.providers.base import CallContext

log = logging.getLogger(__name__)


@dataclass
class CallInfo:
    call_id: int
    lead_id: int
    campaign_id: int | None
    answered_by: str
    voicemail_policy: str
    max_call_seconds: int
    context: CallContext
    script: dict[str, Any] = field(default_factory=dict)
    direction: str = "outbound"
    phone_number_id: int | None = None


def load_live_call(call_id: int) -> CallInfo | None:
    """The call and what its session needs, or None when it does not exist or is no longer live."""
    call = (
        Call.objects.select_related(
            "campaign", "lead", "script_version", "campaign__script_version", "phone_number__script"
        )
        .filter(pk=call_id)
        .first()
    )
    if call is None or not call.is_active or call.media_ended_at or call.finalized_at:
        return None
    if call.direction == Call.Direction.INBOUND:
        return _inbound_call_info(call)
    version = call.script_version or call.campaign.active_script_version
    script = script_fields(version)
    lead = call.lead
    context = CallContext(
        call_id=call.pk,
        lead=_lead_facts(lead),
        script=script,
        campaign={
            "id": call.campaign_id,
            "slug": call.campaign.slug,
            "name": call.campaign.name,
            "max_call_seconds": call.campaign.max_call_seconds,
            "kind": call.campaign.kind,
        },
    )
    about_meeting(call, context)
    return CallInfo(
        call_id=call.pk,
        lead_id=lead.pk,
        campaign_id=call.campaign_id,
        answered_by=call.answered_by,
        voicemail_policy=call.campaign.voicemail_policy,
        max_call_seconds=call.campaign.max_call_seconds,
        context=context,
        script=script,
    )


def _lead_facts(lead) -> dict[str, Any]:
    return {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
        "timezone": lead.timezone,
        "attributes": lead.attributes or {},
    }


def _inbound_call_info(call: Call) -> CallInfo:
    """An inbound call's session: the number's script with the greeting and caller context (inbound/sessions.py)."""
    from inbound.sessions import session_parts

    script, campaign, max_seconds = session_parts(call)
    context = CallContext(call_id=call.pk, lead=_lead_facts(call.lead), script=script, campaign=campaign)
    return CallInfo(
        call_id=call.pk,
        lead_id=call.lead_id,
        campaign_id=None,
        answered_by=call.answered_by,
        voicemail_policy="hang_up",
        max_call_seconds=max_seconds,
        context=context,
        script=script,
        direction=call.direction,
        phone_number_id=call.phone_number_id,
    )


def about_meeting(call: Call, context: CallContext) -> None:
    """A reminder or follow-up call: the meeting it is about goes into `context.meeting`, and the script's
    opening line and voicemail message get its {meeting_time}, {rep_name}, {callback_number}… filled in."""
    from campaigns.kinds import calls_about_meetings, enrollment_for_call, fill, meeting_facts

    if not calls_about_meetings(call.campaign):
        return
    enrollment = enrollment_for_call(call)
    if enrollment is None:
        return
    context.meeting = meeting_facts(enrollment.meeting, call.campaign)
    facts = {**{k: v for k, v in context.lead.items() if isinstance(v, str)}, **context.meeting}
    for name in ("opening_line", "voicemail_message"):
        if context.script.get(name):
            context.script[name] = fill(str(context.script[name]), facts)


def mark_media_started(call_id: int) -> None:
    """The session's audio started: media_started_at (and answered_at when unset) now, an active status moves
    to in-progress; one transaction, and running it again only moves media_started_at on."""
    now = timezone.now()
    with transaction.atomic():
        Call.objects.filter(pk=call_id).update(media_started_at=now, answered_at=Coalesce("answered_at", now))
        _to_in_progress(call_id)


def _to_in_progress(call_id: int) -> None:
    """A call still active (Call.ACTIVE_STATUSES: queued, dialing, ringing) moves to in-progress; others stay."""
    Call.objects.filter(pk=call_id, status__in=Call.ACTIVE_STATUSES).update(status=Call.Status.IN_PROGRESS)


def save_turn(call_id: int, **fields: Any) -> None:
    Turn.objects.create(call_id=call_id, **fields)


def save_turns(call_id: int, turns: list[dict[str, Any]]) -> None:
    """Write turns of a call (each a dict of Turn fields with its `index`) in one transaction; a turn whose index
    is already saved (a retried write that had committed) is left as it is, so retrying is safe."""
    with transaction.atomic():
        Turn.objects.bulk_create([Turn(call_id=call_id, **fields) for fields in turns], ignore_conflicts=True)


def live_state(call_id: int) -> dict[str, Any]:
    """What a session re-reads once it is subscribed to its call's events (an event sent before that is not
    lost): {"answered_by": str, "ended": bool} — ended when the provider reported the call over (a terminal
    status or its end time). A call that does not exist reads as ended."""
    row = Call.objects.filter(pk=call_id).values("answered_by", "status", "ended_at").first()
    if row is None:
        return {"answered_by": "", "ended": True}
    ended = row["status"] not in Call.ACTIVE_STATUSES or row["ended_at"] is not None
    return {"answered_by": row["answered_by"] or "", "ended": ended}


def save_call_end(call_id: int, outcome: str, error: str, recording: bytes | None) -> None:
    """The session ended: its outcome, its error (appended to the call's) and its recording (WAV bytes, saved as
    recordings/YYYY/MM/call-<id>.wav), with media_ended_at, in one transaction.

    Safe to run again (`voice.db.run` retries it): a call whose end is already saved (an earlier try committed
    but its acknowledgement was lost) is left as it is, and a recording file an uncommitted try left behind is
    replaced, not kept beside the new one.
    """
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call_id)
        if call.media_ended_at is not None:
            return  # only this function sets it: an earlier try of this very write committed
        if recording:
            field, filename = call.recording, f"call-{call_id}.wav"
            name = field.field.generate_filename(call, filename)
            if field.storage.exists(name):  # no committed row names it, so a failed try wrote it
                field.storage.delete(name)
            field.save(filename, ContentFile(recording), save=False)
        call.outcome = outcome
        call.error = (call.error + "\n" + error).strip() if error else call.error
        call.media_ended_at = timezone.now()
        call.save(update_fields=["recording", "outcome", "error", "media_ended_at"])


def release_connection() -> None:
    """The sessions' shared database thread lets go of its connection between calls."""
    connection.close()


def finalize(call_id: int) -> None:
    """Hand the call to the dialer's finalize_call (queued, or inline when Celery is eager)."""
    try:
        from dialer.tasks import finalize_call
    except ImportError:
        log.warning("dialer.tasks.finalize_call is not available; call %s is left for the sweeper", call_id)
        return
    finalize_call.delay(call_id)


def claim_media(call_id: int, call_sid: str, at: dt.datetime) -> bool:
    """Bind the call's one media stream: True for the first stream of a live call whose provider sid is
    `call_sid` (or not saved yet, which it then becomes); False for a replayed token, another call's sid, or a
    call that is no longer live. One conditional UPDATE, so two racing streams cannot both win.

    `at` (aware datetime) is the claim's own mark, taken once by the caller before `voice.db.run` may retry
    this: it becomes media_started_at (and answered_at when unset), so a retry whose earlier try had committed
    (the acknowledgement lost with the connection) finds its own claim and answers True, where a replay
    finds another's. One transaction, so a claim never stands without its status move to in-progress.
    """
    if not call_sid:
        return False
    with transaction.atomic():
        live = Call.objects.filter(
            pk=call_id,
            status__in=Call.ACTIVE_STATUSES,
            media_started_at__isnull=True,
            media_ended_at__isnull=True,
            finalized_at__isnull=True,
        )
        claim = {"media_started_at": at, "answered_at": Coalesce("answered_at", at)}
        claimed = live.filter(provider_sid=call_sid).update(**claim)
        if not claimed:
            if Call.objects.filter(provider_sid=call_sid).exclude(pk=call_id).exists():
                return False  # that sid belongs to another call
            unsaved = live.filter(Q(provider_sid__isnull=True) | Q(provider_sid=""))
            claimed = unsaved.update(provider_sid=call_sid, **claim)
        if claimed:
            _to_in_progress(call_id)
            return True
    return Call.objects.filter(pk=call_id, provider_sid=call_sid, media_started_at=at).exists()


def record_spoken_opt_out(call_id: int, phrase: str) -> None:
    """The caller said `phrase` (matched by `crm.optouts.detect`) on call `call_id`: the number goes on the
    do-not-call list at once, and no further attempt is made in any campaign (`crm.optouts.record_opt_out`)."""
    from crm.optouts import record_opt_out

    call = Call.objects.select_related("lead").get(pk=call_id)
    record_opt_out(call.lead, reason=f'Said "{phrase}" on call {call_id}', call=call)


def save_provider_switches(call_id: int, switches: list[dict]) -> None:
    """The call's provider failovers so far (the whole list each time: a repeat or a late write is harmless)."""
    Call.objects.filter(pk=call_id).update(provider_switches=switches)


def save_disclosure_heard(call_id: int, heard: bool | None) -> None:
    """Whether the opening's AI disclosure was heard to its end (None: no opening was played)."""
    Call.objects.filter(pk=call_id).update(disclosure_heard=heard)
