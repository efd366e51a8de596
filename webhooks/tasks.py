"""Celery tasks of the webhooks app: thin wrappers that take ids and call `webhooks.deliveries`."""
from __future__ import annotations

from celery import shared_task

from . import deliveries


@shared_task(bind=True, name="webhooks.tasks.deliver", acks_late=True, ignore_result=True)
def deliver(self, delivery_id: int) -> None:
    """One attempt at a delivery; a failure is retried by Celery after the delivery's backoff.

    Safe to run twice: an attempt is made only by whoever claims the due delivery. Eager (no broker), the retry is
    left to the beat task `send_due` rather than run again at once in this thread."""
    result = deliveries.attempt(delivery_id)
    if result is not None and result.retry_in is not None and not self.request.is_eager:
        # One second late, so the claim finds it due; the counting of attempts is the delivery's own.
        raise self.retry(countdown=result.retry_in + 1, max_retries=None)


@shared_task(name="webhooks.tasks.send_due", ignore_result=True)
def send_due() -> int:
    """Beat: send deliveries that are due and unheld (retries, and anything a lost message or restart left)."""
    ids = deliveries.due_ids()
    for delivery_id in ids:
        deliver.apply_async((delivery_id,))
    return len(ids)
