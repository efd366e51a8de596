"""Sending one delivery: claim it, POST the signed body with a hard deadline, record the answer, plan the retry.

Retries back off exponentially (`WEBHOOK_BACKOFF_SECONDS` × 2^(attempt−1), at most `WEBHOOK_BACKOFF_MAX_SECONDS`)
up to `WEBHOOK_MAX_ATTEMPTS`; then the delivery is failed and waits for a replay from the endpoint's page. Any 2xx
is success; anything else (3xx included: redirects are not followed), a timeout or a refused connection is a failure.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from . import signing
from .models import WebhookDelivery

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status
RESPONSE_EXCERPT = 1000  # characters of the receiver's answer kept in the log
USER_AGENT = "Parley-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    ok: bool
    code: int | None
    retry_in: float | None  # seconds until the next attempt; None when there is none (delivered or given up)


def backoff_seconds(attempts: int) -> float:
    """Wait before attempt `attempts + 1`, after `attempts` failures (1 → base, 2 → 2×base, …, capped)."""
    return min(settings.WEBHOOK_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), settings.WEBHOOK_BACKOFF_MAX_SECONDS)


def _claim(delivery_id: int, now: dt.datetime, force: bool) -> bool:
    """Take the delivery for one attempt (a lease past the attempt's deadline), unless another sender holds it or
    it is not due; `force` ignores the due time (a replay or a test event sent at once)."""
    lease = now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    due = Q() if force else Q(next_attempt_at__lte=now)
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(
        WebhookDelivery.objects.filter(due, free, pk=delivery_id, status=Status.PENDING).update(lease_until=lease)
    )


def attempt(delivery_id: int, *, now: dt.datetime | None = None, force: bool = False) -> Attempt | None:
    """Make one attempt at a due, pending delivery; None when it was not ours to make (not due, delivered, held).

    The request has a deadline of `WEBHOOK_TIMEOUT_SECONDS` from connect to the last byte read, so a receiver
    that hangs or drips its answer costs at most that. Never raises for the receiver's faults."""
    now = now or timezone.now()
    if not _claim(delivery_id, now, force):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active:
        return _record(delivery, now, code=None, text="", error="The endpoint is disabled.", final=True)
    started = time.monotonic()
    code, text, error = _post(endpoint.url, endpoint.secret, delivery)
    return _record(delivery, now, code=code, text=text, error=error, ms=int((time.monotonic() - started) * 1000))


def _post(url: str, secret: str, delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """(status code or None, first bytes of the answer, error sentence or "")."""
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.header_value(secret, body),
        "Parley-Event": delivery.event,
        "Parley-Event-Id": delivery.event_id,
        "Parley-Delivery": str(delivery.pk),
    }
    limit = settings.WEBHOOK_TIMEOUT_SECONDS
    deadline = time.monotonic() + limit
    try:
        with httpx.Client(timeout=httpx.Timeout(limit), follow_redirects=False) as client:
            with client.stream("POST", url, content=body, headers=headers) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= RESPONSE_EXCERPT * 4 or time.monotonic() > deadline:
                        break
                text = b"".join(chunks).decode(response.encoding or "utf-8", "replace")[:RESPONSE_EXCERPT]
                if time.monotonic() > deadline and not 200 <= response.status_code < 300:
                    return response.status_code, text, f"No complete answer within {limit:g} s."
                return response.status_code, text, ""
    except httpx.TimeoutException:
        return None, "", f"No answer within {limit:g} s."
    except httpx.HTTPError as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:500]


def _record(delivery: WebhookDelivery, now: dt.datetime, *, code: int | None, text: str, error: str,
            ms: int = 0, final: bool = False) -> Attempt:
    ok = code is not None and 200 <= code < 300 and not error
    attempts = delivery.attempts + 1
    if code is not None and not ok and not error:
        error = f"The receiver answered {code}."
    entry = {"at": now.isoformat(), "code": code, "error": error, "ms": ms}
    fields = {
        "attempts": attempts,
        "last_status_code": code,
        "last_response": text,
        "last_error": error,
        "lease_until": None,
        "log": [*(delivery.log or []), entry][-50:],
    }
    retry_in = None
    if ok:
        fields.update(status=Status.SUCCEEDED, delivered_at=timezone.now(), next_attempt_at=None)
    elif final or attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=Status.FAILED, next_attempt_at=None)
        log.warning("webhook delivery %s to %s failed for good: %s", delivery.pk, delivery.endpoint.url, error)
    else:
        retry_in = backoff_seconds(attempts)
        fields["next_attempt_at"] = now + dt.timedelta(seconds=retry_in)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return Attempt(delivery.pk, ok, code, retry_in)


def due_ids(now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Pending deliveries whose attempt is due and that no sender holds, oldest first."""
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    pending = WebhookDelivery.objects.filter(free, status=Status.PENDING, next_attempt_at__lte=now)
    return list(pending.order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event and body to the same endpoint, due now; the original's log stays."""
    return WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        event_id=delivery.event_id,
        body=delivery.body,
        next_attempt_at=timezone.now(),
        replay_of=delivery,
    )
