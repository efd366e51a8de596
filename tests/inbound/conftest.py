import datetime as dt

import pytest

from inbound.models import PhoneNumber
from tests import factories
from tests.emulators.twilio_rest import TwilioEmulator

NUMBER = "+14155550123"
REP_PHONE = "+14155550199"
BASE = "https://parley.example.com"


@pytest.fixture(autouse=True)
def inbound_settings(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.TELEPHONY = "sim"
    settings.VOICE_GREETING_WAIT_MS = 800
    settings.VOICE_STT = settings.VOICE_LLM = settings.VOICE_TTS = "rehearsal"
    settings.REHEARSAL_TTS_ENGINE = "synth"
    yield settings


@pytest.fixture
def voice_server(transactional_db, eager_celery):
    """The real ASGI app under uvicorn on loopback (PUBLIC_BASE_URL follows it)."""
    from voice.loopback import LoopbackServer

    with LoopbackServer() as server:
        yield server


@pytest.fixture
def twilio(settings):
    """The Twilio adapter pointed at the local REST emulator (which also rings our numbers)."""
    emulator = TwilioEmulator().start()
    settings.TELEPHONY = "twilio"
    settings.TWILIO_ACCOUNT_SID = emulator.account_sid
    settings.TWILIO_AUTH_TOKEN = emulator.auth_token
    settings.TWILIO_API_BASE_URL = emulator.base_url
    yield emulator
    emulator.stop()


def make_number(**fields) -> PhoneNumber:
    rep = fields.pop("rep", None)
    defaults = {
        "number": NUMBER,
        "label": "Front desk",
        "business_name": "Test Co",
        "script": factories.script(),
        "business_days": list(range(7)),
        "opens_at": dt.time(0),
        "closes_at": dt.time(23, 59, 59),
        "timezone": "America/New_York",
    }
    defaults.update(fields)
    number = PhoneNumber.objects.create(**defaults)
    if rep is not None:
        number.reps.add(rep)
    return number


@pytest.fixture
def number(db):
    rep = factories.rep(weekdays=range(7))
    rep.phone = REP_PHONE
    rep.save()
    return make_number(rep=rep)


def post(client, signed, signature=None):
    url, params, good = signed
    headers = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signature or good}
    return client.post(url.removeprefix(BASE), data=params, **headers)
