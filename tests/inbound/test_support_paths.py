"""Each inbound path end to end: a simulated caller rings the number through simulated telephony (the signed
incoming webhook, the TwiML's media stream), talks to the agent, and the call ends with what the team needs."""
import pytest

from campaigns.models import CampaignLead
from crm.models import Call, DoNotCall, Lead, Meeting
from inbound.models import Ticket, Transfer
from tests import factories
from voice.sim import inbound_personas  # noqa: F401 - registers the personas
from voice.telephony import get_telephony

from .calls import agent_said, ring
from .conftest import REP_PHONE, make_number


@pytest.fixture
def live_number(voice_server):
    from campaigns.scripts import create_script
    from inbound.demo import SCRIPT

    rep = factories.rep(weekdays=range(7))
    rep.phone = REP_PHONE
    rep.save()
    return make_number(rep=rep, script=create_script("Front desk", publish=True, **SCRIPT))


def test_an_unknown_prospect_gives_a_name_becomes_an_inbound_lead_and_books_a_meeting(live_number):
    call = ring(live_number, "inbound_demo", "+12025550171")

    lead = Lead.objects.get(phone="+12025550171")
    assert (lead.first_name, lead.last_name, lead.consent_source) == ("Jordan", "Lee", "inbound")
    assert call.outcome == Call.Outcome.BOOKED, agent_said(call)
    assert Meeting.objects.filter(call=call, lead=lead).exists()
    assert "AI assistant" in agent_said(call)
    assert call.disclosure_heard is True


def test_a_known_caller_is_greeted_by_name_and_the_agent_knows_their_history(live_number):
    from voice.records import load_live_call

    lead = factories.lead(phone="+12025550172", first_name="Ada", company="Northwind")
    call = ring(live_number, "inbound_billing", "+12025550172")

    assert call.lead == lead
    assert agent_said(call).startswith("Thanks for calling Test Co, Ada.")
    assert Lead.objects.filter(phone="+12025550172").count() == 1
    # a second call's agent is told about the first
    second = Call.objects.create(direction="inbound", phone_number=live_number, lead=lead, status="ringing")
    instructions = load_live_call(second.pk).script["instructions"]
    assert "known contact: Ada Pat" in instructions or "known contact: Ada" in instructions
    assert "Question answered" in instructions


def test_a_billing_question_is_answered_from_the_knowledge_base(live_number):
    call = ring(live_number, "inbound_billing", "+12025550173")

    assert call.outcome == Call.Outcome.ANSWERED
    assert "Plans start at 99 dollars a month per seat." in agent_said(call)


def test_a_password_reset_leaves_a_ticket_for_the_team(live_number):
    call = ring(live_number, "inbound_password", "+12025550174")

    ticket = Ticket.objects.get(call=call)
    assert (ticket.category, call.outcome) == (Ticket.Category.ACCOUNT, Call.Outcome.TICKET)
    assert "password reset" in ticket.summary


def test_asking_for_a_human_is_a_warm_transfer_whose_summary_reaches_the_reps_leg(live_number):
    call = ring(live_number, "inbound_human", "+12025550175")

    transfer = Transfer.objects.get(call=call)
    assert (call.outcome, transfer.mode, transfer.to_number) == (Call.Outcome.TRANSFERRED, "warm", REP_PHONE)
    rung = [t for t in get_telephony().transfers if t["caller_sid"] == call.provider_sid]
    assert rung and rung[0]["whisper"] == transfer.summary and rung[0]["to"] == REP_PHONE
    assert "can I speak to a person" in transfer.summary
    assert wait_for_status(transfer, Transfer.Status.CONNECTED)


def test_a_wrong_number_is_let_go_politely(live_number):
    call = ring(live_number, "inbound_wrong_number", "+12025550176")

    assert call.outcome == Call.Outcome.WRONG_NUMBER
    assert "Have a good day" in agent_said(call)


def test_a_caller_on_the_do_not_call_list_is_answered_but_never_enrolled(live_number):
    from inbound.support import schedule_callback
    from voice.tools import ToolContext

    live_number.callback_campaign = factories.campaign()
    live_number.save()
    DoNotCall.objects.create(phone="+12025550177")
    call = ring(live_number, "inbound_billing", "+12025550177")
    assert call.outcome == Call.Outcome.ANSWERED

    ctx = ToolContext(call_id=call.pk, lead_id=call.lead_id, campaign_id=None, direction="inbound",
                      phone_number_id=live_number.pk)
    result = schedule_callback(ctx, "tomorrow at 11am")

    assert result.data["scheduled"] and result.data["by"] == "ticket"
    assert not CampaignLead.objects.filter(lead=call.lead).exists()
    assert Ticket.objects.filter(lead=call.lead, category="callback").exists()


def wait_for_status(transfer, status, timeout=10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        transfer.refresh_from_db()
        if transfer.status == status:
            return True
        time.sleep(0.05)
    return False
