import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign
from config.celery import app as celery_app
from dialer import pacing, windows
from tests import factories
from tests.emulators.twilio_rest import TwilioEmulator

UTC = dt.UTC


@pytest.fixture(autouse=True)
def dialer_settings(settings):
    """Generous account CPS so pacing only bites where a test means it to; no zone cache between steps."""
    settings.TWILIO_CPS_LIMIT = 1000
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    settings.PUBLIC_BASE_URL = "https://parley.example.com"
    settings.TELEPHONY = "sim"
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.SIM_TELEPHONY_HOLD_SECONDS = 0
    windows.forget_cached_zones()
    pacing.get_pacer().reset([pacing.account_bucket()])
    yield settings


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setattr("dialer.tasks.EAGER_RETRY_MAX_SLEEP", 0)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def running_campaign(db):
    def make(**fields) -> Campaign:
        fields.setdefault("status", Campaign.Status.RUNNING)
        fields.setdefault("calls_per_second", 1000)
        fields.setdefault("max_concurrency", 1000)
        campaign = factories.campaign(**fields)
        pacing.reset(campaign.pk)
        return campaign

    return make


@pytest.fixture
def twilio(settings):
    """The Twilio adapter pointed at the local REST emulator."""
    emulator = TwilioEmulator().start()
    settings.TELEPHONY = "twilio"
    settings.TWILIO_ACCOUNT_SID = emulator.account_sid
    settings.TWILIO_AUTH_TOKEN = emulator.auth_token
    settings.TWILIO_API_BASE_URL = emulator.base_url
    yield emulator
    emulator.stop()


def at(zone: str, *args: int) -> dt.datetime:
    """A moment given in a zone's local time, as an aware datetime."""
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))
