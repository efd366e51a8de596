"""Emitting an event: one delivery row per subscribed endpoint, written in the caller's transaction (an outbox),
handed to the sender only once that transaction commits. Nothing here touches the network or waits for it."""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import EVENTS, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)


def envelope(event: str, data: dict, event_id: str | None = None) -> str:
    """The JSON body of an event: {"id": "evt_…", "type": event, "created": ISO-8601 UTC, "data": data}."""
    body = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": event,
        "created": timezone.now().isoformat(),
        "data": data,
    }
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def emit(event: str, data: dict | Callable[[], dict]) -> list[int]:
    """Queue `event` with `data` (JSON-able; or a function making it, called only when someone subscribes) for every
    active endpoint subscribed to it; the delivery ids.

    Rows are written inside the caller's transaction (in a savepoint), so an event exists exactly when the change
    it reports committed; delivery starts after commit (`sender.send_soon`). A database error here is logged and
    swallowed: a webhook never undoes or blocks a call, a booking or an import."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    try:
        endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if event in (e.events or [])]
        if not endpoints:  # the common case costs one read and no savepoint
            return []
        with transaction.atomic():
            body = envelope(event, data() if callable(data) else data)
            event_id = json.loads(body)["id"]
            now = timezone.now()
            rows = WebhookDelivery.objects.bulk_create(
                WebhookDelivery(endpoint=e, event=event, event_id=event_id, body=body, next_attempt_at=now)
                for e in endpoints
            )
    except DatabaseError:
        log.exception("webhook event %s could not be recorded", event)
        return []
    ids = [row.pk for row in rows]

    def hand_over() -> None:
        from .sender import send_soon

        send_soon(ids)

    transaction.on_commit(hand_over)
    return ids


TEST_EVENT = "webhook.test"


def send_test(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event to this one endpoint, whatever it subscribes to, handed to the sender at once."""
    body = envelope(TEST_EVENT, {"endpoint_id": endpoint.pk, "message": "Test event from Parley."})
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=TEST_EVENT, event_id=json.loads(body)["id"], body=body, next_attempt_at=timezone.now()
    )
    from .sender import send_soon

    transaction.on_commit(lambda: send_soon([delivery.pk]))
    return delivery
