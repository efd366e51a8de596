"""The Twilio adapter's other verbs on the wire: hang up, transfer, fetch, find a dial, and error mapping."""
import datetime as dt
import socket

import pytest

from voice.telephony import get_telephony
from voice.telephony.base import DialRequest, PermanentTelephonyError, TransientTelephonyError
from voice.telephony.twilio import TwilioTelephony

REQUEST = DialRequest(
    call_id=7,
    to="+12025550143",
    from_="+14155550100",
    stream_url="wss://parley.example.com/media/token",
    status_callback_url="https://parley.example.com/telephony/twilio/status/7/",
    amd_callback_url="https://parley.example.com/telephony/twilio/amd/7/",
    ring_timeout=20,
)


def test_get_telephony_follows_the_setting(twilio, settings):
    assert get_telephony().name == "twilio"
    settings.TELEPHONY = "sim"
    assert get_telephony().name == "sim"


def test_hangup_and_transfer_update_the_live_call(twilio):
    adapter = get_telephony()
    sid = adapter.place_call(REQUEST)

    adapter.transfer(sid, "+12125550199")
    adapter.hangup(sid)

    transfer, hangup = [r for r in twilio.requests if r.path.endswith(f"/Calls/{sid}.json")]
    assert transfer.field("Twiml").endswith("<Response><Dial>+12125550199</Dial></Response>")
    assert hangup.field("Status") == "completed"


def test_fetch_reads_the_providers_own_record(twilio):
    adapter = get_telephony()
    sid = adapter.place_call(REQUEST)
    twilio.set_state(sid, "completed", duration=61, answered_by="machine_end_beep")

    record = adapter.fetch(sid)

    assert (record.sid, record.status, record.duration) == (sid, "completed", 61)
    assert record.answered_by == "machine_end_beep"


def test_find_placed_finds_a_dial_to_the_number_since_a_moment(twilio):
    adapter = get_telephony()
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert adapter.find_placed(7, REQUEST.to, since) is None

    sid = adapter.place_call(REQUEST)

    assert adapter.find_placed(7, REQUEST.to, since).sid == sid
    assert adapter.find_placed(7, "+12025550100", since) is None


def test_wrong_credentials_are_a_permanent_error(twilio):
    adapter = TwilioTelephony(twilio.account_sid, "not-the-token", twilio.base_url)

    with pytest.raises(PermanentTelephonyError, match="20003"):
        adapter.place_call(REQUEST)


def test_an_unreachable_api_is_a_transient_error(twilio):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    adapter = TwilioTelephony(twilio.account_sid, twilio.auth_token, f"http://127.0.0.1:{closed_port}")

    with pytest.raises(TransientTelephonyError, match="unreachable"):
        adapter.place_call(REQUEST)


def test_a_webhook_signature_is_checked_against_the_url_and_the_params(twilio):
    adapter = get_telephony()
    url, params = REQUEST.status_callback_url, {"CallSid": "CA1", "CallStatus": "ringing"}
    signature = twilio.sign(url, params)

    assert adapter.validate_webhook(url, params, signature)
    assert not adapter.validate_webhook(url + "?x=1", params, signature)
    assert not adapter.validate_webhook(url, {**params, "CallStatus": "completed"}, signature)
    assert not adapter.validate_webhook(url, params, "")
