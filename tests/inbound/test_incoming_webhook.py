"""Twilio's incoming-call webhook: signed or refused, TwiML that streams a new inbound call with a signed token,
and a defined answer at capacity, after hours, for unknown numbers and hidden callers."""
import datetime as dt
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import time_machine

from crm.models import Call
from inbound.models import PhoneNumber
from voice.tokens import read_media_token

from .conftest import BASE, NUMBER, make_number, post

CALLER = "+12025550143"
INCOMING = BASE + "/telephony/twilio/incoming/"


def ring(twilio, client, to=NUMBER, from_=CALLER, signature=None):
    signed = twilio.incoming(to, from_, INCOMING)
    response = post(client, signed, signature)
    return signed[1]["CallSid"], response


def test_an_unsigned_or_forged_incoming_call_is_refused_and_records_nothing(client, number, twilio):
    _, unsigned = ring(twilio, client, signature="")
    _, forged = ring(twilio, client, signature="bm90IGEgc2lnbmF0dXJl")

    assert (unsigned.status_code, forged.status_code) == (403, 403)
    assert not Call.objects.exists()


def test_a_signed_incoming_call_is_answered_with_a_stream_for_a_new_inbound_call(client, number, twilio):
    sid, response = ring(twilio, client)

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    [connect] = list(root)
    assert connect.tag == "Connect"
    stream = connect.find("Stream")
    url = stream.get("url")
    assert url.startswith("wss://parley.example.com/media/")
    call = Call.objects.get(provider_sid=sid)
    assert read_media_token(url.rsplit("/", 1)[1]) == call.pk
    assert stream.find("Parameter").attrib == {"name": "call_id", "value": str(call.pk)}
    assert (call.direction, call.phone_number, call.campaign, call.status) == (
        Call.Direction.INBOUND, number, None, Call.Status.RINGING)
    assert str(call.lead.phone) == CALLER
    assert call.script_version == number.script.published_version


def test_a_retried_webhook_streams_the_same_call(client, number, twilio):
    signed = twilio.incoming(NUMBER, CALLER, INCOMING)
    first, again = post(client, signed), post(client, signed)

    assert first.status_code == again.status_code == 200
    assert Call.objects.count() == 1
    assert b"<Connect>" in again.content


def test_at_capacity_the_caller_hears_the_busy_message_and_the_call_is_recorded(client, number, twilio):
    number.max_concurrent_calls = 1
    number.busy_message = "All our lines are busy; please call again soon."
    number.save()
    ring(twilio, client, from_="+12025550101")

    sid, response = ring(twilio, client, from_="+12025550102")

    root = ET.fromstring(response.content)
    assert [c.tag for c in root] == ["Say", "Hangup"]
    assert root.find("Say").text == "All our lines are busy; please call again soon."
    turned_away = Call.objects.get(provider_sid=sid)
    assert turned_away.outcome == Call.Outcome.OVER_CAPACITY and turned_away.finalized_at is not None
    assert Call.objects.filter(direction="inbound", status=Call.Status.RINGING).count() == 1


def at_night() -> dt.datetime:
    return dt.datetime(2026, 6, 10, 22, 30, tzinfo=ZoneInfo("America/New_York"))


def test_after_hours_a_message_number_plays_its_message_and_hangs_up(client, db, twilio):
    make_number(opens_at=dt.time(9), closes_at=dt.time(17), after_hours=PhoneNumber.AfterHours.MESSAGE,
                after_hours_message="We are closed. Call us from nine.")
    with time_machine.travel(at_night(), tick=False):
        sid, response = ring(twilio, client)

    assert b"<Say>We are closed. Call us from nine.</Say><Hangup />" in response.content
    assert Call.objects.get(provider_sid=sid).outcome == Call.Outcome.AFTER_HOURS


def test_after_hours_a_forwarding_number_dials_its_forward_number(client, db, twilio):
    make_number(opens_at=dt.time(9), closes_at=dt.time(17), after_hours=PhoneNumber.AfterHours.FORWARD,
                forward_to="+12125550177")
    with time_machine.travel(at_night(), tick=False):
        sid, response = ring(twilio, client)

    assert b"<Dial>+12125550177</Dial>" in response.content
    assert Call.objects.get(provider_sid=sid).outcome == Call.Outcome.TRANSFERRED


def test_after_hours_an_agent_number_still_answers_and_tells_the_agent_it_is_closed(client, db, twilio):
    from voice.records import load_live_call

    make_number(opens_at=dt.time(9), closes_at=dt.time(17), after_hours=PhoneNumber.AfterHours.AGENT)
    with time_machine.travel(at_night(), tick=False):
        sid, response = ring(twilio, client)
        info = load_live_call(Call.objects.get(provider_sid=sid).pk)

    assert b"<Connect>" in response.content
    assert "OUTSIDE them now" in info.script["instructions"]
    assert info.context.campaign["business_open"] is False


def test_an_unknown_or_disabled_number_and_a_hidden_caller_get_a_sentence_not_an_agent(client, number, twilio):
    _, unknown = ring(twilio, client, to="+14155550124")
    _, hidden = ring(twilio, client, from_="anonymous")
    number.enabled = False
    number.save()
    _, disabled = ring(twilio, client)

    assert b"not in service" in unknown.content and b"not in service" in disabled.content
    assert b"hidden numbers" in hidden.content
    assert not Call.objects.exists()


def test_the_numbers_status_callback_reaches_the_inbound_call_by_its_sid(client, number, twilio):
    sid, _ = ring(twilio, client)
    url = BASE + "/telephony/twilio/incoming/status/"
    params = {"AccountSid": twilio.account_sid, "CallSid": sid, "CallStatus": "completed", "CallDuration": "42",
              "From": CALLER, "To": NUMBER, "Direction": "inbound"}

    assert post(client, (url, params, twilio.sign(url, params)), signature="").status_code == 403
    assert post(client, (url, params, twilio.sign(url, params))).status_code == 200

    call = Call.objects.get(provider_sid=sid)
    assert (call.status, call.duration_seconds) == (Call.Status.COMPLETED, 42)


def test_the_provider_knows_an_answered_inbound_call_so_the_sweeper_can_ask_about_it(client, number, twilio):
    from voice.telephony import get_telephony

    sid, response = ring(twilio, client)
    twilio.answered(sid, response.content.decode())

    record = get_telephony().fetch(sid)
    assert (record.sid, record.status) == (sid, "in-progress")
    assert twilio.calls[sid].as_json()["direction"] == "inbound"
