"""Warm transfer on the wire (Twilio REST emulator): the rep's leg is rung first with TwiML that says the
one-sentence summary and then starts the conference; the caller's leg is moved into it. A rep who does not answer
gets the caller a message and a callback ticket; a rep leg that cannot be placed falls back to a cold <Dial>."""
import xml.etree.ElementTree as ET

from crm.models import Call
from inbound import transfers
from inbound.models import Ticket, Transfer
from tests import factories
from voice.telephony import get_telephony

from .conftest import BASE, NUMBER, REP_PHONE, post

SUMMARY = "Parley transfer from Front desk: Ada Pat of Northwind, who said: I want to talk about my contract."


def live_inbound_call(number, twilio) -> Call:
    url, params, _ = twilio.incoming(NUMBER, "+12025550143", BASE + "/telephony/twilio/incoming/")
    lead = factories.lead(phone="+12025550143", company="Northwind", first_name="Ada")
    return Call.objects.create(direction="inbound", phone_number=number, lead=lead, provider="twilio",
                               provider_sid=params["CallSid"], status=Call.Status.IN_PROGRESS)


def test_the_reps_leg_rings_first_and_hears_the_summary_before_joining_the_caller(number, twilio):
    call = live_inbound_call(number, twilio)
    transfer = Transfer.objects.create(call=call, to_number=REP_PHONE, summary=SUMMARY)

    transfers.carry_out(get_telephony(), call.provider_sid, REP_PHONE, call.pk)

    create, update = [r for r in twilio.requests if r.method == "POST"]
    assert create.path.endswith("/Calls.json") and update.path.endswith(f"/Calls/{call.provider_sid}.json")
    assert (create.field("To"), create.field("From")) == (REP_PHONE, NUMBER)
    rep_twiml = ET.fromstring(create.field("Twiml"))
    assert [c.tag for c in rep_twiml] == ["Say", "Dial"]
    assert rep_twiml.find("Say").text == SUMMARY
    room = rep_twiml.find("Dial/Conference")
    assert room.get("startConferenceOnEnter") == "true" and room.text == f"parley-transfer-{transfer.pk}"
    assert create.field("StatusCallback") == f"{BASE}/telephony/twilio/transfer/{transfer.pk}/status/"
    caller_twiml = ET.fromstring(update.field("Twiml"))
    held = caller_twiml.find("Dial/Conference")
    assert held.text == room.text and held.get("startConferenceOnEnter") == "false"
    transfer.refresh_from_db()
    assert (transfer.status, transfer.mode) == (Transfer.Status.RINGING, Transfer.Mode.WARM)
    assert transfer.rep_call_sid in twilio.calls


def test_the_rep_answering_connects_and_a_rep_not_answering_leaves_a_callback_ticket(client, number, twilio):
    call = live_inbound_call(number, twilio)
    transfer = Transfer.objects.create(call=call, to_number=REP_PHONE, summary=SUMMARY)
    transfers.carry_out(get_telephony(), call.provider_sid, REP_PHONE, call.pk)
    transfer.refresh_from_db()

    missed = twilio.callback(transfer.rep_call_sid, "no-answer", CallDuration="0")
    assert post(client, missed, signature="").status_code == 403
    assert post(client, missed).content == b"missed"

    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.MISSED
    ticket = Ticket.objects.get(call=call)
    assert ticket.category == Ticket.Category.CALLBACK and SUMMARY in ticket.summary
    told = [r for r in twilio.requests if r.path.endswith(f"/Calls/{call.provider_sid}.json")][-1]
    assert "a rep will call you back" in told.field("Twiml") and told.field("Twiml").endswith("<Hangup /></Response>")


def test_a_rep_who_answers_is_connected(client, number, twilio):
    call = live_inbound_call(number, twilio)
    transfer = Transfer.objects.create(call=call, to_number=REP_PHONE, summary=SUMMARY)
    transfers.carry_out(get_telephony(), call.provider_sid, REP_PHONE, call.pk)
    transfer.refresh_from_db()

    assert post(client, twilio.callback(transfer.rep_call_sid, "in-progress")).content == b"connected"
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.CONNECTED
    assert not Ticket.objects.exists()


def test_when_the_reps_leg_cannot_be_placed_the_caller_is_transferred_cold(number, twilio):
    call = live_inbound_call(number, twilio)
    transfer = Transfer.objects.create(call=call, to_number=REP_PHONE, summary=SUMMARY)
    twilio.fail_next(400, 21219, "The To number is not verified")

    transfers.carry_out(get_telephony(), call.provider_sid, REP_PHONE, call.pk)

    update = [r for r in twilio.requests if r.path.endswith(f"/Calls/{call.provider_sid}.json")][-1]
    assert update.field("Twiml").endswith(f"<Response><Dial>{REP_PHONE}</Dial></Response>")
    transfer.refresh_from_db()
    assert (transfer.mode, transfer.status) == (Transfer.Mode.COLD, Transfer.Status.CONNECTED)
    assert "21219" in transfer.error
