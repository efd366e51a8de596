"""The rep sees who changed a meeting and on which call; the manager sees which meetings a reminder campaign calls."""
import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign, MeetingEnrollment
from crm.models import Call
from tests import factories
from voice.tools import ToolContext, run_tool_sync

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminder(rep):
    start = (timezone.now() + dt.timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    meeting = factories.meeting(rep, start=start)
    campaign = factories.campaign(kind=Campaign.Kind.REMINDER, slug="reminders")
    campaign.reps.add(rep)
    entry = factories.hopper_entry(campaign, meeting.lead)
    MeetingEnrollment.objects.create(campaign=campaign, meeting=meeting, campaign_lead=entry,
                                     call_at=timezone.now(), plan="call Mon 30 Nov 10:00 EST (lead's time)")
    call = Call.objects.create(campaign=campaign, campaign_lead=entry, lead=meeting.lead, provider_sid="CAh")
    return meeting, call


def test_the_meeting_page_shows_a_change_made_on_a_call_with_the_call_linked(client, rep, reminder):
    meeting, call = reminder
    run_tool_sync(ToolContext(call.pk, meeting.lead_id, call.campaign_id), "cancel_meeting", {"reason": "Out sick"})
    client.force_login(rep.user)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="history"' in page
    assert f'the agent on <a href="/calls/{call.pk}/">call #{call.pk}</a>' in page
    assert "Out sick" in page and "booked → canceled" in page


def test_a_change_on_the_meeting_page_is_in_the_history_with_the_rep(client, rep, reminder):
    meeting, _ = reminder
    client.force_login(rep.user)
    client.post(f"/meetings/{meeting.pk}/confirm/")
    change = meeting.changes.get()
    assert (change.kind, change.user, change.call) == ("confirmed", rep.user, None)


def test_the_campaign_page_lists_the_meetings_it_calls_about(client, manager, reminder):
    meeting, call = reminder
    Call.objects.filter(pk=call.pk).update(outcome="confirmed", status="completed")
    client.force_login(manager)
    page = client.get("/campaigns/reminders/").content.decode()
    assert "Meetings to call about" in page
    assert f"/meetings/{meeting.pk}/" in page and "call Mon 30 Nov 10:00 EST" in page
    assert f"Meeting confirmed · <a href=\"/calls/{call.pk}/\">" in page


def test_a_manager_makes_a_follow_up_campaign(client, manager, rep):
    script = factories.script()
    client.force_login(manager)
    data = {
        "name": "After demos", "slug": "after-demos", "script": script.pk, "caller_id": "+1 415 555 0100",
        "default_region": "US", "calling_days": ["0", "1", "2", "3", "4"], "window_start": "09:00",
        "window_end": "18:00", "max_concurrency": "5", "calls_per_second": "1", "max_attempts": "2",
        "ring_timeout_seconds": "25", "max_call_seconds": "600", "voicemail_policy": "leave_message",
        "reps": [rep.pk], "kind": "follow_up", "meeting_offset_minutes": "1440",
        **{f"retry_{o}": "60" for o in ("no_answer", "busy", "voicemail", "failed", "callback", "hung_up")},
    }
    response = client.post("/campaigns/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(slug="after-demos")
    assert (campaign.kind, campaign.meeting_offset_minutes) == ("follow_up", 1440)


def test_starting_a_reminder_campaign_with_no_meetings_says_they_come_by_themselves(client, manager):
    factories.campaign("empty-reminders", name="Reminders", kind=Campaign.Kind.REMINDER)
    client.force_login(manager)
    page = client.post("/campaigns/empty-reminders/control/start/", follow=True).content.decode()
    assert "no meetings to call about yet" in page and "enrolled automatically" in page
    assert "Upload leads" not in page  # a reminder campaign takes no lead lists: no upload button either


def test_a_reminder_campaign_takes_no_lead_list(client, manager):
    factories.campaign("reminders", kind=Campaign.Kind.REMINDER, name="Reminders")
    client.force_login(manager)
    page = client.get("/campaigns/reminders/imports/new/", follow=True).content.decode()
    assert "calls about its reps&#x27; meetings" in page and "prospecting campaign" in page
