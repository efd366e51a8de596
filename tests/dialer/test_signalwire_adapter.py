"""SignalWire telephony (TELEPHONY=signalwire) through the twilio SDK pointed at the space, against the LaML emulator:
the dial, the other verbs, errors and faults, and webhooks signed with the Signing Key in X-SignalWire-Signature."""
import datetime as dt

import pytest
import time_machine
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from dialer import placing
from tests.emulators.signalwire_rest import SignalWireEmulator
from voice.telephony import get_telephony
from voice.telephony.base import (
    CallNotFoundError,
    DialRequest,
    InvalidNumberError,
    TransientTelephonyError,
    UnknownOutcomeError,
)

from .test_place_call import NOON_NY, claimed_call, place

REQUEST = DialRequest(
    call_id=7, to="+12025550143", from_="+14155550100", stream_url="wss://parley.example.com/media/token",
    status_callback_url="https://parley.example.com/telephony/twilio/status/7/",
    amd_callback_url="https://parley.example.com/telephony/twilio/amd/7/", ring_timeout=20,
)


@pytest.fixture
def signalwire(settings):
    emulator = SignalWireEmulator().start()
    settings.TELEPHONY = "signalwire"
    settings.SIGNALWIRE_PROJECT_ID = emulator.project_id
    settings.SIGNALWIRE_API_TOKEN = emulator.auth_token
    settings.SIGNALWIRE_SPACE_URL = emulator.base_url
    settings.SIGNALWIRE_SIGNING_KEY = emulator.signing_key
    yield emulator
    emulator.stop()


def test_the_dial_goes_to_the_space_with_the_project_credentials_amd_and_a_media_stream(running_campaign, signalwire):
    campaign = running_campaign(caller_id="+14155550100", ring_timeout_seconds=22)
    call = claimed_call(campaign)

    assert place(call.pk) == placing.Placed.DIALED

    [sent] = signalwire.creates()
    assert sent.path == f"/2010-04-01/Accounts/{signalwire.project_id}/Calls.json"
    assert sent.auth == (signalwire.project_id, signalwire.auth_token)
    assert (sent.field("To"), sent.field("From"), sent.field("Timeout")) == ("+12025550143", "+14155550100", "22")
    assert (sent.field("MachineDetection"), sent.field("AsyncAmd")) == ("DetectMessageEnd", "true")
    assert sent.fields("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert '<Connect><Stream url="wss://parley.example.com/media/' in sent.field("Twiml")
    call.refresh_from_db()
    assert call.provider_sid == next(iter(signalwire.calls))


def test_hangup_transfer_fetch_and_find_placed(signalwire):
    adapter = get_telephony()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    sid = adapter.place_call(REQUEST)

    adapter.transfer(sid, "+12125550199")
    adapter.hangup(sid)
    signalwire.set_state(sid, "completed", duration=61, answered_by="human")

    transfer, hangup = [r for r in signalwire.requests if r.path.endswith(f"/Calls/{sid}.json") and r.method == "POST"]
    assert transfer.field("Twiml").endswith("<Response><Dial>+12125550199</Dial></Response>")
    assert hangup.field("Status") == "completed"
    record = adapter.fetch(sid)
    assert (record.status, record.duration, record.answered_by) == ("completed", 61, "human")
    assert adapter.find_placed(7, REQUEST.to, since).sid == sid


@pytest.mark.parametrize("status, code, error", [
    (429, 20429, TransientTelephonyError), (503, 20503, UnknownOutcomeError), (400, 21211, InvalidNumberError),
])
def test_refusals_are_classified_like_twilio_s(signalwire, status, code, error):
    signalwire.fail_next(status, code)
    with pytest.raises(error, match=str(code)):
        get_telephony().place_call(REQUEST)


@pytest.mark.parametrize("kind", ["timeout", "reset"])
def test_a_dial_that_is_never_answered_or_cut_off_has_an_unknown_outcome(signalwire, settings, kind):
    settings.TWILIO_HTTP_TIMEOUT_SECONDS = 0.5
    signalwire.hold_seconds = 1.0
    signalwire.accept_then(kind)
    from voice.telephony import _build

    _build.cache_clear()
    with pytest.raises(UnknownOutcomeError):
        get_telephony().place_call(REQUEST)


def test_a_malformed_answer_to_a_dial_has_an_unknown_outcome(signalwire):
    signalwire.malformed_next()
    with pytest.raises(UnknownOutcomeError, match="malformed"):
        get_telephony().place_call(REQUEST)


def test_a_call_signalwire_does_not_know_is_not_found(signalwire):
    with pytest.raises(CallNotFoundError):
        get_telephony().fetch("CA" + "0" * 32)


def test_a_wrong_api_token_is_refused(signalwire, settings):
    settings.SIGNALWIRE_API_TOKEN = "not-the-token"
    with pytest.raises(Exception, match="20003|401|Authenticat"):
        get_telephony().place_call(REQUEST)


def test_webhooks_are_checked_with_the_signing_key_in_the_signalwire_header(running_campaign, signalwire, client):
    call = claimed_call(running_campaign())
    place(call.pk)
    sid = next(iter(signalwire.calls))
    url, params, signature = signalwire.callback(sid, "ringing")
    path = url.removeprefix("https://parley.example.com")

    with time_machine.travel(NOON_NY, tick=False):
        good = client.post(path, data=params, HTTP_X_SIGNALWIRE_SIGNATURE=signature)
        legacy = client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)  # SignalWire's cXML alias
        forged = client.post(path, data={**params, "CallStatus": "completed"}, HTTP_X_SIGNALWIRE_SIGNATURE=signature)
        token_signed = client.post(path, data=params, HTTP_X_SIGNALWIRE_SIGNATURE=__import__(
            "twilio.request_validator").request_validator.RequestValidator(signalwire.auth_token).compute_signature(
            url, params))
        unsigned = client.post(path, data=params)

    assert (good.status_code, legacy.status_code) == (200, 200)
    assert forged.status_code == token_signed.status_code == unsigned.status_code == 403


def test_every_missing_signalwire_variable_is_named(settings):
    settings.TELEPHONY = "signalwire"
    settings.SIGNALWIRE_PROJECT_ID = "project"
    settings.SIGNALWIRE_API_TOKEN = settings.SIGNALWIRE_SPACE_URL = settings.SIGNALWIRE_SIGNING_KEY = ""
    message = ("TELEPHONY=signalwire needs SIGNALWIRE_API_TOKEN and SIGNALWIRE_SPACE_URL and "
               "SIGNALWIRE_SIGNING_KEY.")
    with pytest.raises(ImproperlyConfigured, match=message):
        get_telephony()
    assert message in [e.msg for e in run_checks() if e.id == "parley.E004"]


def test_signalwire_needs_a_public_https_base_url(settings):
    from config.checks import public_base_url_problem

    assert "TELEPHONY=signalwire" in public_base_url_problem("signalwire", "http://parley.example.com")
    assert public_base_url_problem("signalwire", "https://parley.example.com") is None
