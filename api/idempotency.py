"""Idempotency-Key on creates: the same key with the same body gets the first answer again, and nothing is done
twice; the same key with another body (or on another operation) is refused with 422; a key whose first request is
still running gets 409. Keys are per user and remembered `API_IDEMPOTENCY_HOURS` (the convention of Stripe's API and
the IETF draft "The Idempotency-Key HTTP Header Field")."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyRecord

MAX_KEY_LENGTH = 255


class IdempotencyConflict(Exception):
    """The key cannot be used for this request; `status` (409 or 422) and a sentence for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def request_hash(operation: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{operation}\n{canonical}".encode()).hexdigest()


def run_once(user, key: str | None, operation: str, body: object,
             run: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """`run()` → (status, JSON body), at most once per (user, key); without a key it simply runs.

    Raises IdempotencyConflict. A `run` that raises leaves no record, so the client may retry with the same key."""
    if not key:
        return run()
    if len(key) > MAX_KEY_LENGTH:
        raise IdempotencyConflict(422, f"The Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.")
    digest = request_hash(operation, body)
    expired = timezone.now() - dt.timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    IdempotencyRecord.objects.filter(created_at__lt=expired).delete()  # the table holds one day of keys at most
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=user, key=key, operation=operation, request_hash=digest)
    except IntegrityError:
        return _replay(user, key, operation, digest)
    try:
        status, payload = run()
    except BaseException:
        record.delete()
        raise
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))  # as stored, so a replay is the same
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status, response=payload)
    return status, payload


def _replay(user, key: str, operation: str, digest: str) -> tuple[int, dict]:
    record = IdempotencyRecord.objects.filter(user=user, key=key).first()
    if record is None:  # deleted between our insert and this read (its first request failed): not ours to replay
        raise IdempotencyConflict(409, "A request with this Idempotency-Key just failed; send it again.")
    if record.operation != operation or record.request_hash != digest:
        raise IdempotencyConflict(
            422, "This Idempotency-Key was already used with a different request; use a new key for a new request."
        )
    if record.status_code is None:
        raise IdempotencyConflict(409, "A request with this Idempotency-Key is still being processed; retry shortly.")
    return record.status_code, record.response
