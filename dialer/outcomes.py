"""Ending a call: its outcome and what becomes of the lead (done, retry, exhausted, do-not-call), exactly once."""
from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall
from webhooks import payloads as webhook_payloads

log = logging.getLogger(__name__)

# The provider's terminal statuses (Twilio vocabulary) and the outcome each implies without a conversation.
TERMINAL_PROVIDER_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}
FINISHED_OUTCOMES = {
    Call.Outcome.BOOKED,
    Call.Outcome.NOT_INTERESTED,
    Call.Outcome.TRANSFERRED,
    Call.Outcome.CONVERSATION,
    Call.Outcome.INVALID_NUMBER,
    Call.Outcome.FAX,  # a fax line: never a voicemail, never retried
    # Calls about a meeting (reminder and follow-up campaigns): the meeting's business is done.
    Call.Outcome.CONFIRMED,
    Call.Outcome.RESCHEDULED,
    Call.Outcome.CANCELED,
    Call.Outcome.NEXT_STEP,
}


# Outcomes after which a callback the lead asked for earlier in the call no longer applies.
CALLBACK_OVERRIDDEN_BY = {
    Call.Outcome.BOOKED, Call.Outcome.OPT_OUT, Call.Outcome.TRANSFERRED, Call.Outcome.INVALID_NUMBER,
}  # fmt: skip


def provider_terminal_status(call: Call) -> str:
    """The provider's terminal status as recorded in the call's timeline, or '' while it is not known."""
    for event in reversed(call.status_events or []):
        if event.get("status") in TERMINAL_PROVIDER_STATUSES:
            return event["status"]
    return ""


def is_ready(call: Call) -> bool:
    """Finalize once the provider's end is known and any voice session has saved its turns."""
    terminal = bool(provider_terminal_status(call)) or call.status in (Call.Status.FAILED, Call.Status.CANCELED)
    return terminal and (call.media_started_at is None or call.media_ended_at is not None)


# Outcomes that claim nothing about the line being picked up; every other outcome says it was answered.
NOT_ANSWERED_OUTCOMES = {
    Call.Outcome.NO_ANSWER, Call.Outcome.BUSY, Call.Outcome.FAILED, Call.Outcome.INVALID_NUMBER, Call.Outcome.BLOCKED,
}  # fmt: skip
ANSWER_STATUSES = {"in-progress", "answered"}


def answered_evidence(call: Call) -> bool:
    """Whether Parley itself saw the call answered: an 'answered'/'in-progress' status callback, a media stream
    that started, or an answering-machine verdict (Twilio sends AnsweredBy only for a picked-up line; see
    https://www.twilio.com/docs/voice/answering-machine-detection). A provider's after-the-fact record
    ("completed", 1 s, fetched by the sweeper) is not evidence: the callbacks that would prove it were lost."""
    if call.media_started_at is not None or call.answered_by:
        return True
    return any(event.get("status") in ANSWER_STATUSES for event in call.status_events or [])


def never_answered_reason(call: Call) -> str:
    """The error text for a call ended without answered evidence."""
    last = provider_terminal_status(call) or "no end reported"
    return (
        "Unknown outcome: Parley never saw it answered (no 'answered' callback, no media, no machine-detection "
        f"verdict); the provider's last word: {last}"
    )


def derive_outcome(call: Call) -> str:
    """The outcome from the provider's record when no conversation set one."""
    status = provider_terminal_status(call)
    if status == "busy":
        return Call.Outcome.BUSY
    if status in ("no-answer", "canceled") and call.answered_at is None:
        return Call.Outcome.NO_ANSWER
    if status == "failed" or call.status == Call.Status.FAILED:
        return Call.Outcome.FAILED
    if call.answered_by == "fax":
        return Call.Outcome.FAX
    if call.answered_by.startswith("machine"):
        return Call.Outcome.VOICEMAIL
    if not answered_evidence(call):
        return Call.Outcome.FAILED  # "completed" after the fact, or no end at all: we do not know what happened
    return Call.Outcome.HUNG_UP


def consistent_outcome(call: Call, outcome: str) -> str:
    """The outcome agrees with what Parley saw, whoever proposed it.

    An answered call is never "No answer" or "Busy" (e.g. a session ending on a caller who never spoke): the line
    was picked up, so it is "Hung up" and retried by that rule. A call never seen answered (`answered_evidence`)
    is never an answered outcome ("Hung up", "Voicemail", a conversation): it is "Failed" (unknown outcome),
    retried by the campaign's rule for failures and not counted as Answered."""
    answered = answered_evidence(call)
    if outcome in (Call.Outcome.NO_ANSWER, Call.Outcome.BUSY) and (answered or call.media_started_at):
        return Call.Outcome.HUNG_UP
    if outcome not in NOT_ANSWERED_OUTCOMES and not answered:
        return Call.Outcome.FAILED
    return outcome


def finalize_call(call_id: int, now: dt.datetime | None = None, *, force: bool = False) -> bool:
    """Set the outcome and move the lead on; True only for the one run that did it.

    Without `force` nothing happens until `is_ready`; the sweeper forces calls whose session never ended.
    """
    now = now or timezone.now()
    with transaction.atomic():
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related("campaign", "lead", "campaign_lead")
            .filter(pk=call_id)
            .first()
        )
        if call is None or call.finalized_at is not None:
            return False
        if not force and not is_ready(call):
            return False
        outcome = consistent_outcome(call, call.outcome or derive_outcome(call))
        if call.answered_by == "fax" and outcome in (Call.Outcome.VOICEMAIL, Call.Outcome.HUNG_UP):
            outcome = Call.Outcome.FAX  # whatever the session thought it was talking to
        if call.direction == Call.Direction.INBOUND and outcome in (Call.Outcome.HUNG_UP, Call.Outcome.NO_ANSWER):
            outcome = Call.Outcome.ABANDONED  # the caller rang us and left before anything was settled
        fields = {}
        if not answered_evidence(call):
            fields["answered_at"] = None  # a provider's "completed, 1 s" fetched after the fact set it
            if outcome == Call.Outcome.FAILED and provider_terminal_status(call) != "failed":
                fields["error"] = "; ".join(e for e in (call.error, never_answered_reason(call)) if e)
        won = Call.objects.filter(pk=call_id, finalized_at__isnull=True).update(
            finalized_at=now, outcome=outcome, ended_at=call.ended_at or now, **fields
        )
        if not won:
            return False
        if call.campaign_lead_id is not None:  # inbound calls have no hopper row to move on
            _move_lead_on(call, outcome, now)
        webhook_payloads.call_completed(call_id)
        campaign_id = call.campaign_id
        if call.media_started_at:
            transaction.on_commit(lambda: _queue_summary(call_id))
    from .controls import complete_if_done

    if campaign_id is not None:
        complete_if_done(campaign_id)
    return True


def _queue_summary(call_id: int) -> None:
    from .tasks import summarize_call

    try:
        summarize_call.delay(call_id)
    except Exception:  # the summary is a nicety: never let it undo or block the outcome
        log.exception("call %s: could not queue the post-call summary", call_id)


def _move_lead_on(call: Call, outcome: str, now: dt.datetime) -> None:
    campaign: Campaign = call.campaign
    entry = CampaignLead.objects.select_for_update().get(pk=call.campaign_lead_id)
    on_dnc = DoNotCall.objects.filter(phone=call.lead.phone).exists()
    if outcome == Call.Outcome.OPT_OUT and not on_dnc:
        dnc, created = DoNotCall.objects.get_or_create(
            phone=call.lead.phone,
            defaults={"source": DoNotCall.Source.OPT_OUT, "reason": f"Opted out on call {call.pk}"},
        )
        if created:
            webhook_payloads.lead_opted_out(call.lead, dnc, call)
        on_dnc = True
    entry.last_outcome = outcome
    entry.claimed_at = None
    callback = call.callback_at and outcome not in CALLBACK_OVERRIDDEN_BY
    if on_dnc:
        entry.state = CampaignLead.State.DO_NOT_CALL
    elif callback and entry.attempts < campaign.max_attempts:
        # The lead asked to be called back then (dialer/callbacks.py checked window, law and attempts).
        entry.state = CampaignLead.State.RETRY
        entry.next_attempt_at = call.callback_at
    elif outcome in FINISHED_OUTCOMES:
        entry.state = CampaignLead.State.DONE
    elif entry.attempts >= campaign.max_attempts:
        entry.state = CampaignLead.State.EXHAUSTED
    elif outcome in campaign.retry_rules:
        entry.state = CampaignLead.State.RETRY
        entry.next_attempt_at = now + dt.timedelta(seconds=int(campaign.retry_rules[outcome]))
    else:
        entry.state = CampaignLead.State.DONE
    entry.save(update_fields=["state", "last_outcome", "claimed_at", "next_attempt_at", "updated_at"])


def release_call(
    call_id: int,
    reason: str,
    outcome: str = Call.Outcome.FAILED,
    now: dt.datetime | None = None,
    from_status: str = Call.Status.QUEUED,
) -> bool:
    """End a call that never reached the provider and give its lead back, attempt refunded.

    Conditional on the call still being in `from_status` with no sid: a call that moved on to DIALING
    meanwhile (a worker is dialing it right now) is never released from under it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        won = Call.objects.filter(
            pk=call_id, provider_sid__isnull=True, finalized_at__isnull=True, status=from_status
        ).update(status=Call.Status.CANCELED, outcome=outcome, error=reason, ended_at=now, finalized_at=now)
        if not won:
            return False
        call = Call.objects.get(pk=call_id)
        CampaignLead.objects.filter(pk=call.campaign_lead_id, state=CampaignLead.State.CLAIMED).update(
            state=CampaignLead.State.RETRY,
            attempts=F("attempts") - 1,
            claimed_at=None,
            updated_at=now,
        )
    log.info("Released call %s: %s", call_id, reason)
    return True


def end_before_dial(
    call_id: int, outcome: str, reason: str, now: dt.datetime | None = None, status: str = Call.Status.FAILED
) -> bool:
    """End a call that was never connected (do-not-call at dial time, permanent provider error) and finalize it.

    One transaction: the call never stays ended-but-unfinalized with its hopper row CLAIMED."""
    now = now or timezone.now()
    with transaction.atomic():
        ended = Call.objects.filter(pk=call_id, finalized_at__isnull=True, provider_sid__isnull=True).update(
            status=status, outcome=outcome, error=reason, ended_at=now
        )
        return bool(ended) and finalize_call(call_id, now, force=True)
