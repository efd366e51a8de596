"""Delivering webhooks to a real HTTP receiver on 127.0.0.1: signed, retried with backoff, given up, replayed."""
import datetime as dt
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from webhooks import deliveries, events, signing, tasks
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def _emit(data=None) -> WebhookDelivery:
    (delivery_id,) = events.emit("lead.opted_out", data or {"lead": {"id": 7, "phone": "+12125550143"}})
    return WebhookDelivery.objects.get(pk=delivery_id)


def test_the_receiver_verifies_the_signature_of_what_it_received(endpoint, receiver):
    delivery = _emit()
    assert deliveries.attempt(delivery.pk).ok
    (got,) = receiver.wait_for(1)
    assert signing.verify(endpoint.secret, got.headers[signing.HEADER], got.body)
    assert not signing.verify("whsec_another", got.headers[signing.HEADER], got.body)
    assert not signing.verify(endpoint.secret, got.headers[signing.HEADER], got.body.replace(b"7", b"8"))
    body = json.loads(got.body)
    assert (body["type"], body["data"]["lead"]["phone"]) == ("lead.opted_out", "+12125550143")
    assert got.headers["Parley-Event"] == "lead.opted_out" and got.headers["Parley-Event-Id"] == body["id"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.SUCCEEDED, 1, 200)


def test_an_old_signature_is_refused_by_verify():
    header = signing.header_value("whsec_s", b"{}", timestamp=1_000_000)
    assert signing.verify("whsec_s", header, b"{}", now=1_000_000 + 299)
    assert not signing.verify("whsec_s", header, b"{}", now=1_000_000 + 301)


def test_a_500_is_retried_after_the_backoff_and_then_delivered(endpoint, receiver, eager_celery, settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    receiver.codes = [500]
    delivery = _emit()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = deliveries.attempt(delivery.pk)
        assert (first.ok, first.code, first.retry_in) == (False, 500, 30)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.last_response, delivery.next_attempt_at) == (
            Status.PENDING, "receiver exploded", start + dt.timedelta(seconds=30))
        assert tasks.send_due() == 0  # not due yet
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert tasks.send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.SUCCEEDED, 2, 200)
    assert [entry["code"] for entry in delivery.log] == [500, 200]
    first_body, second_body = (r.body for r in receiver.wait_for(2))
    assert first_body == second_body


def test_backoff_doubles_each_attempt_up_to_its_cap(settings):
    settings.WEBHOOK_BACKOFF_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 200
    assert [deliveries.backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


def test_it_gives_up_after_the_last_attempt_and_a_replay_sends_the_same_event_again(endpoint, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.codes = [500, 503]
    delivery = _emit()
    deliveries.attempt(delivery.pk)
    deliveries.attempt(delivery.pk, force=True)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, 2, None)
    assert deliveries.attempt(delivery.pk, force=True) is None  # a failed delivery is never sent again itself
    again = deliveries.replay(delivery)
    assert deliveries.attempt(again.pk).ok
    received = receiver.wait_for(3)
    assert json.loads(received[2].body)["id"] == delivery.event_id
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and again.replay_of_id == delivery.pk


def test_a_refused_connection_is_a_failed_attempt_with_its_reason(endpoint, receiver):
    endpoint.url = "http://127.0.0.1:9/nothing-listens-here"
    endpoint.save()
    result = deliveries.attempt(_emit().pk)
    delivery = WebhookDelivery.objects.get(pk=result.delivery_id)
    assert result.code is None and result.retry_in is not None
    assert "ConnectError" in delivery.last_error and delivery.status == Status.PENDING


def test_a_receiver_that_hangs_is_cut_off_at_the_deadline(endpoint, receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.hang_seconds = 5
    result = deliveries.attempt(_emit().pk)
    delivery = WebhookDelivery.objects.get(pk=result.delivery_id)
    assert delivery.last_error == "No answer within 0.5 s." and delivery.status == Status.PENDING


def test_a_disabled_endpoint_gets_nothing(endpoint):
    endpoint.active = False
    endpoint.save()
    assert events.emit("lead.opted_out", {}) == []


def test_an_endpoint_gets_only_the_events_it_subscribes_to(endpoint):
    endpoint.events = ["call.completed"]
    endpoint.save()
    assert events.emit("meeting.booked", {}) == []
    assert len(events.emit("call.completed", {})) == 1


def test_an_event_is_handed_over_only_when_its_transaction_commits(endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            events.emit("lead.opted_out", {})
            assert callbacks == []
    assert len(callbacks) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit("lead.opted_out", {"rolled": "back"})
        raise RuntimeError
    assert WebhookDelivery.objects.count() == 1


def test_with_a_broker_celery_sends_the_next_attempt_after_the_backoff(endpoint, receiver, settings):
    """The worker path (not eager): a failed attempt asks Celery to run the task again once the backoff is over."""
    from unittest import mock

    from celery.exceptions import Retry

    settings.WEBHOOK_BACKOFF_SECONDS = 30
    receiver.codes = [500]
    delivery = _emit()
    published = []
    with mock.patch.object(tasks.deliver, "apply_async", side_effect=lambda *a, **kw: published.append((a, kw))):
        tasks.deliver.push_request(is_eager=False, retries=0, id="attempt-1", called_directly=False,
                                   args=[delivery.pk], kwargs={})
        try:
            with pytest.raises(Retry):
                tasks.deliver.run(delivery.pk)
        finally:
            tasks.deliver.pop_request()
    ((args, options),) = published
    assert list(args[0]) == [delivery.pk]
    assert options["countdown"] == 31
