"""An inbound caller asks to be called back: the number's callback campaign dials them then (checked like an
outbound callback); without one the team gets a callback ticket."""
import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.models import CampaignLead
from crm.models import Call
from inbound.models import Ticket
from inbound.support import schedule_callback
from tests import factories
from voice.tools import ToolContext

NOON = dt.datetime(2026, 6, 10, 12, 0, tzinfo=ZoneInfo("America/New_York"))


def call_from(number, phone="+12025550150"):
    lead = factories.lead(phone=phone, timezone="America/New_York")
    call = Call.objects.create(direction="inbound", phone_number=number, lead=lead, status="in_progress")
    return call, ToolContext(call_id=call.pk, lead_id=lead.pk, campaign_id=None, direction="inbound",
                             phone_number_id=number.pk)


def test_a_callback_is_put_in_the_numbers_callback_campaign_at_that_time(number):
    number.callback_campaign = factories.campaign()
    number.save()
    call, ctx = call_from(number)

    result = schedule_callback(ctx, "tomorrow at 11am", now=NOON)

    assert result.data["scheduled"] and result.outcome == Call.Outcome.CALLBACK
    entry = CampaignLead.objects.get(campaign=number.callback_campaign, lead=call.lead)
    expected = dt.datetime(2026, 6, 11, 11, 0, tzinfo=ZoneInfo("America/New_York"))
    assert (entry.state, entry.next_attempt_at) == (CampaignLead.State.RETRY, expected)
    call.refresh_from_db()
    assert call.callback_at == expected


def test_a_callback_outside_the_campaigns_window_offers_the_nearest_allowed_time(number):
    number.callback_campaign = factories.campaign()  # window 09:00-20:00
    number.save()
    call, ctx = call_from(number)

    result = schedule_callback(ctx, "tomorrow at 10pm", now=NOON)

    assert not result.data["scheduled"] and "calling hours" in result.data["reason"]
    assert result.data["nearest"].startswith("2026-06-11T19:45")
    assert not CampaignLead.objects.filter(lead=call.lead).exists()


def test_without_a_callback_campaign_the_team_gets_a_callback_ticket(number):
    call, ctx = call_from(number)

    result = schedule_callback(ctx, "tomorrow at 11am", now=NOON)

    assert result.data["scheduled"] and result.data["by"] == "ticket"
    ticket = Ticket.objects.get(call=call)
    assert ticket.category == Ticket.Category.CALLBACK and "11:00 AM" in ticket.summary
