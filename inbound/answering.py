"""Answering an incoming call: which number was called, whether it may be answered now, who is calling, and the
TwiML that connects the caller to an agent through a media stream with a signed token for a new inbound `Call`.

Twilio's incoming-call webhook posts CallSid, AccountSid, From, To, CallStatus ("ringing"), Direction ("inbound")
(https://www.twilio.com/docs/voice/twiml#twilios-request-to-your-application) and runs the TwiML we answer with.
Every answer is defined: an unknown or disabled number, a hidden caller ID, a full number (capacity), after hours
(message or forward) and a caller already on another call each get a spoken sentence and a hang-up (or a <Dial>),
and every one that reached a known number is recorded as an inbound call with its outcome.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Call
from voice.telephony import twiml
from voice.tokens import media_stream_url

from . import callers, hours
from .models import PhoneNumber

log = logging.getLogger(__name__)

NOT_IN_SERVICE = "Sorry, this number is not in service."
HIDDEN_CALLER = "Sorry, we can't take calls from hidden numbers. Please call again with your caller ID on."
ALREADY_ON_A_CALL = "Sorry, we're already on the line with this number. Please call again in a few minutes."


@dataclass(frozen=True)
class Answer:
    twiml: str
    call_id: int | None = None
    outcome: str = ""  # set when the call ended with this answer (no conversation)


def answer_incoming(params: dict[str, str], provider: str = "twilio", now: dt.datetime | None = None) -> Answer:
    """The TwiML for one incoming call (`params` = the webhook's form); idempotent per CallSid (a retried
    webhook gets the same call's stream again). Raises nothing for bad input: every case answers."""
    now = now or timezone.now()
    sid = params.get("CallSid", "")
    existing = Call.objects.filter(provider_sid=sid).first() if sid else None
    if existing is not None:
        return _again(existing)
    number = PhoneNumber.objects.filter(number=callers.e164(params.get("To", "")) or "-", enabled=True).first()
    if number is None:
        log.warning("Incoming call %s to %r: no enabled number", sid, params.get("To"))
        return Answer(twiml.say_and_hang_up(NOT_IN_SERVICE))
    phone = callers.e164(params.get("From", ""))
    if not phone:
        return Answer(twiml.say_and_hang_up(HIDDEN_CALLER))
    lead, _ = callers.lead_for_caller(phone, number.timezone)
    with transaction.atomic():
        PhoneNumber.objects.select_for_update().filter(pk=number.pk).first()  # answers of one number in turn
        live = Call.objects.filter(
            phone_number=number, status__in=Call.ACTIVE_STATUSES, finalized_at__isnull=True
        ).count()
        if live >= number.max_concurrent_calls:
            call = _ended(number, lead, sid, provider, now, Call.Outcome.OVER_CAPACITY)
            return Answer(twiml.say_and_hang_up(number.busy_message), call and call.pk, Call.Outcome.OVER_CAPACITY)
        if not hours.is_open(number, now):
            if number.after_hours == PhoneNumber.AfterHours.MESSAGE:
                call = _ended(number, lead, sid, provider, now, Call.Outcome.AFTER_HOURS)
                text = number.after_hours_message
                return Answer(twiml.say_and_hang_up(text), call and call.pk, Call.Outcome.AFTER_HOURS)
            if number.after_hours == PhoneNumber.AfterHours.FORWARD and number.forward_to:
                call = _ended(number, lead, sid, provider, now, Call.Outcome.TRANSFERRED)
                return Answer(twiml.dial(str(number.forward_to)), call and call.pk, Call.Outcome.TRANSFERRED)
        try:
            with transaction.atomic():
                call = Call.objects.create(
                    direction=Call.Direction.INBOUND,
                    phone_number=number,
                    lead=lead,
                    script_version=number.active_script_version,
                    provider=provider,
                    provider_sid=sid or None,
                    status=Call.Status.RINGING,
                    placed_at=now,
                    answered_at=now,
                    status_events=[{"status": "ringing", "at": now.isoformat(), "seq": "incoming"}],
                )
        except IntegrityError:  # this person is on another live call (one call per person at a time)
            return Answer(twiml.say_and_hang_up(ALREADY_ON_A_CALL))
    return Answer(twiml.stream(media_stream_url(call.pk), call.pk), call.pk)


def _ended(number: PhoneNumber, lead, sid: str, provider: str, now: dt.datetime, outcome: str) -> Call | None:
    """An inbound call answered with a message (or forwarded) and no agent: recorded, finalized at once."""
    try:
        with transaction.atomic():
            return Call.objects.create(
                direction=Call.Direction.INBOUND,
                phone_number=number,
                lead=lead,
                provider=provider,
                provider_sid=sid or None,
                status=Call.Status.COMPLETED,
                outcome=outcome,
                placed_at=now,
                answered_at=now,
                ended_at=now,
                finalized_at=now,
                status_events=[{"status": "ringing", "at": now.isoformat(), "seq": "incoming"}],
            )
    except IntegrityError:
        log.warning("Incoming call %s could not be recorded (duplicate sid)", sid)
        return None


def _again(call: Call) -> Answer:
    """A retried webhook for a call we already answered."""
    if call.is_active and call.media_started_at is None and call.finalized_at is None:
        return Answer(twiml.stream(media_stream_url(call.pk), call.pk), call.pk)
    number = call.phone_number
    text = number.busy_message if number and call.outcome == Call.Outcome.OVER_CAPACITY else NOT_IN_SERVICE
    if number and call.outcome == Call.Outcome.AFTER_HOURS:
        text = number.after_hours_message
    return Answer(twiml.say_and_hang_up(text), call.pk, call.outcome)
