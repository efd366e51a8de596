"""The Admins' webhook pages: add an endpoint (a secret is made), read the delivery log, replay, send a test."""
import pytest

from crm.roles import ADMINS, MANAGERS
from webhooks import deliveries, events
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("alex", ADMINS))
    return client


def test_an_admin_adds_an_endpoint_and_gets_a_signing_secret(admin_client, receiver):
    response = admin_client.post(
        "/settings/webhooks/", {"url": receiver.url, "description": "CRM", "events": ["call.completed"], "active": "on"}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response["Location"] == f"/settings/webhooks/{endpoint.pk}/"
    assert endpoint.secret.startswith("whsec_") and endpoint.events == ["call.completed"]
    assert endpoint.secret in admin_client.get(response["Location"]).content.decode()


def test_an_endpoint_needs_an_event(admin_client):
    response = admin_client.post("/settings/webhooks/", {"url": "https://crm.example.com/hook", "active": "on"})
    assert "Pick at least one event" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_each_attempt_and_a_failed_delivery_can_be_replayed(admin_client, endpoint, receiver,
                                                                         settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.codes = [500]
    (delivery_id,) = events.emit("lead.opted_out", {"lead": {"id": 1}})
    deliveries.attempt(delivery_id)
    page = admin_client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert "HTTP 500" in page and "receiver exploded" in page and "Failed (gave up)" in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(f"/settings/webhooks/deliveries/{delivery_id}/replay/")
    assert len(callbacks) == 1  # handed to the sender once the replay row is committed
    replay = WebhookDelivery.objects.exclude(pk=delivery_id).get()
    assert replay.replay_of_id == delivery_id and replay.status == WebhookDelivery.Status.PENDING


def test_a_test_event_goes_to_the_endpoint(admin_client, endpoint, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        admin_client.post(f"/settings/webhooks/{endpoint.pk}/test/")
    assert WebhookDelivery.objects.get().event == "webhook.test" and len(callbacks) == 1


def test_rotating_the_secret_replaces_it(admin_client, endpoint):
    old = endpoint.secret
    admin_client.post(f"/settings/webhooks/{endpoint.pk}/", {"rotate": "1"})
    endpoint.refresh_from_db()
    assert endpoint.secret != old


def test_an_anonymous_visitor_is_sent_to_log_in(client, endpoint):
    assert client.get("/settings/webhooks/")["Location"].startswith("/accounts/login/")
    assert client.post(f"/settings/webhooks/{endpoint.pk}/test/")["Location"].startswith("/accounts/login/")


def test_managers_cannot_see_or_change_webhooks(client, make_user, endpoint):
    client.force_login(make_user("morgan", MANAGERS))
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 403
