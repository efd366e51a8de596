"""Actions that cannot be taken back in one click ask first and say what will happen; a canceled meeting reopens."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Script
from crm.models import Meeting
from tests import factories

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), NEW_YORK)


def test_the_meeting_page_asks_before_canceling_and_says_what_happens(client, rep):
    meeting = factories.meeting(rep, lead_=factories.lead(first_name="Pat", last_name="Lee"), start=_at(2, 10))
    client.force_login(rep.user)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'href="/meetings/{meeting.pk}/cancel/"' in page and "Cancel meeting" in page
    confirm = client.get(f"/meetings/{meeting.pk}/cancel/").content.decode()
    assert "Cancel the meeting with Pat Lee" in confirm
    assert "slot is freed" in confirm and "You can reopen it" in confirm
    assert "Keep the meeting" in confirm
    assert Meeting.objects.get(pk=meeting.pk).status == "booked"


def test_a_canceled_meeting_is_reopened(client, rep):
    meeting = factories.meeting(rep, start=_at(2, 10), status="canceled")
    client.force_login(rep.user)
    assert f"/meetings/{meeting.pk}/reopen/" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    page = client.post(f"/meetings/{meeting.pk}/reopen/", follow=True).content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == "booked"
    assert "Meeting reopened" in page


def test_reopening_onto_a_slot_booked_since_is_refused(client, rep):
    meeting = factories.meeting(rep, start=_at(2, 10), status="canceled")
    factories.meeting(rep, lead_=factories.lead(first_name="Quinn", last_name="Doe"), start=_at(2, 10))
    client.force_login(rep.user)
    page = client.post(f"/meetings/{meeting.pk}/reopen/", follow=True).content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == "canceled"
    assert "already has a meeting with Quinn Doe" in page


def test_stop_asks_first_and_explains_how_it_differs_from_pause(client, manager):
    campaign = factories.campaign("spring", name="Spring", status="running")
    client.force_login(manager)
    page = client.get("/campaigns/spring/").content.decode()
    assert 'href="/campaigns/spring/control/stop/"' in page
    confirm = client.get("/campaigns/spring/control/stop/").content.decode()
    assert "Stop Spring?" in confirm and "Calls already ringing or talking finish" in confirm
    assert "Pause instead" in confirm and "/campaigns/spring/control/pause/" in confirm
    assert Campaign.objects.get(pk=campaign.pk).status == "running"


def test_publish_asks_first_and_names_the_running_campaigns_it_switches(client, admin_user):
    script = factories.script("sales")
    factories.campaign("spring", name="Spring outreach", script=script, status="running")
    factories.campaign(
        "pinned", name="Pinned one", script=script, status="running", script_version=script.latest_version
    )
    factories.campaign("draft", name="Draft one", script=script)
    from campaigns.scripts import save_new_version

    save_new_version(script, instructions="Book a meeting, politely.")
    client.force_login(admin_user)
    page = client.get("/scripts/sales/").content.decode()
    assert 'href="/scripts/sales/versions/2/publish/"' in page
    confirm = client.get("/scripts/sales/versions/2/publish/").content.decode()
    assert "Publish version 2" in confirm
    assert "Spring outreach" in confirm and "switch to version 2 for their next call" in confirm
    assert "Pinned one" in confirm and "keeps version 1" in confirm
    assert "Draft one" not in confirm  # only campaigns that are dialing now switch "at once"
    assert Script.objects.get(pk=script.pk).published_version.number == 1
