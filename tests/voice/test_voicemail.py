"""Answering machines: the script's voicemail message once, then hang up."""
import threading

from campaigns.models import Campaign
from crm.models import Call
from voice import live

from .calls import agent_turns, converse, live_call


def test_a_machine_gets_the_voicemail_message_once_then_the_agent_hangs_up(voice_server):
    call = live_call(answered_by="machine_end_beep")
    log, m = converse(call, "voicemail")

    call.refresh_from_db()
    turns = agent_turns(call)
    assert [t.text for t in turns] == [call.script_version.voicemail_message]
    assert turns[0].heard_text == turns[0].text
    assert call.outcome == Call.Outcome.VOICEMAIL
    assert log.hung_up_by == "agent"


def test_an_answering_machine_result_during_the_greeting_switches_to_the_message(voice_server):
    call = live_call(answered_by="")
    timer = threading.Timer(1.0, live.notify, args=(call.pk, "amd"), kwargs={"answered_by": "machine_end_beep"})
    timer.start()
    log, m = converse(call, "voicemail")
    timer.join()

    call.refresh_from_db()
    assert agent_turns(call)[-1].text == call.script_version.voicemail_message
    assert call.outcome == Call.Outcome.VOICEMAIL


def test_with_the_hang_up_policy_nothing_is_said_to_a_machine(voice_server):
    call = live_call(answered_by="machine_end_beep", voicemail_policy=Campaign.VoicemailPolicy.HANG_UP)
    log, m = converse(call, "voicemail")

    call.refresh_from_db()
    assert agent_turns(call) == [] and log.agent_frames == 0
    assert call.outcome == Call.Outcome.VOICEMAIL


def test_a_fax_is_hung_up_on_at_once_with_no_voicemail_message(voice_server):
    call = live_call(answered_by="fax")
    log, m = converse(call, "voicemail")

    call.refresh_from_db()
    assert agent_turns(call) == [] and log.agent_frames == 0
    assert call.outcome == Call.Outcome.FAX
    assert log.hung_up_by == "agent"


def test_a_fax_verdict_during_the_greeting_stops_the_agent_and_hangs_up(voice_server):
    call = live_call(answered_by="")
    timer = threading.Timer(1.0, live.notify, args=(call.pk, "amd"), kwargs={"answered_by": "fax"})
    timer.start()
    log, m = converse(call, "voicemail")
    timer.join()

    call.refresh_from_db()
    assert call.script_version.voicemail_message not in [t.text for t in agent_turns(call)]
    assert call.outcome == Call.Outcome.FAX
