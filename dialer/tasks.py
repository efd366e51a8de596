"""Thin Celery tasks over the dialer's plain functions. Each takes ids, is idempotent and safe to retry."""
from __future__ import annotations

import logging
import time

from celery import shared_task

from voice.telephony.base import TransientTelephonyError

from . import claims, outcomes, placing, sweeper

log = logging.getLogger(__name__)
PLACE_CALL_MAX_RETRIES = 5
EAGER_RETRY_MAX_SLEEP = 2.0  # eager mode (no broker) retries inline; don't hold the caller long


@shared_task(name="dialer.tasks.tick", ignore_result=True)
def tick() -> int:
    return claims.tick()


@shared_task(bind=True, name="dialer.tasks.place_call", acks_late=True, max_retries=PLACE_CALL_MAX_RETRIES)
def place_call(self, call_id: int) -> str:
    if self.request.is_eager:
        return _place_call_inline(call_id, self.max_retries)
    try:
        return placing.place_call(call_id)
    except TransientTelephonyError as exc:
        if self.request.retries >= self.max_retries:
            placing.give_up(call_id, str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=placing.retry_delay(self.request.retries)) from exc


def _place_call_inline(call_id: int, max_retries: int) -> str:
    for attempt in range(max_retries + 1):
        try:
            return placing.place_call(call_id)
        except TransientTelephonyError as exc:
            if attempt == max_retries:
                placing.give_up(call_id, str(exc))
                return "failed"
            time.sleep(min(EAGER_RETRY_MAX_SLEEP, placing.retry_delay(attempt)))
    return "failed"


@shared_task(name="dialer.tasks.finalize_call", acks_late=True)
def finalize_call(call_id: int) -> bool:
    return outcomes.finalize_call(call_id)


@shared_task(bind=True, name="dialer.tasks.summarize_call", acks_late=True, max_retries=3, ignore_result=True)
def summarize_call(self, call_id: int) -> bool:
    """Post-call summary and qualification answers; a vendor failure retries later, never blocks the dialer."""
    from voice.providers.base import ProviderError
    from voice.summaries import summarize_call as summarize

    try:
        return summarize(call_id)
    except ProviderError as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            log.warning("call %s: no summary (%s)", call_id, exc)
            return False
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


@shared_task(name="dialer.tasks.sweep", ignore_result=True)
def sweep() -> dict:
    return sweeper.sweep()


@shared_task(name="dialer.tasks.enroll_meetings", ignore_result=True)
def enroll_meetings() -> dict:
    """Fill reminder and follow-up campaigns with the meetings to call about (dialer/enrollment_reminders.py)."""
    from . import enrollment_reminders

    return enrollment_reminders.enroll_all()
