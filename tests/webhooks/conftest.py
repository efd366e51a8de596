import pytest

from webhooks.models import EVENTS, WebhookEndpoint
from webhooks.signing import new_secret

from .receiver import Receiver, serve


@pytest.fixture
def receiver():
    r = Receiver()
    stop = serve(r)
    yield r
    stop()


@pytest.fixture
def endpoint(db, receiver):
    return WebhookEndpoint.objects.create(url=receiver.url, secret=new_secret(), events=list(EVENTS))
