import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from campaigns.models import Campaign, MeetingEnrollment
from crm.models import Lead, Meeting, Rep

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo", leads=12, demo=True)
    first = (Lead.objects.count(), Meeting.objects.count(), MeetingEnrollment.objects.count())
    call_command("seed_demo", leads=12, demo=True)
    campaign = Campaign.objects.get(slug="demo")
    assert campaign.hopper.filter(state="pending").count() == 12
    assert (Lead.objects.count(), Meeting.objects.count(), MeetingEnrollment.objects.count()) == first
    assert Rep.objects.count() == 3
    assert campaign.script.versions.count() == 1
    assert "AI assistant" in campaign.active_script_version.opening_line


def test_with_debug_off_seed_demo_refuses_without_demo_and_creates_no_user(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--demo") as refused:
        call_command("seed_demo", leads=3)
    assert "parley-demo" in str(refused.value)
    assert not User.objects.exists() and not Campaign.objects.exists()


def test_with_debug_on_seed_demo_needs_no_flag(settings):
    settings.DEBUG = True
    call_command("seed_demo", leads=3)
    assert User.objects.filter(username="admin").exists()


def test_the_makefile_demo_target_passes_demo():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "manage.py seed_demo --demo" in makefile


def test_rep1_the_readmes_login_gets_the_demo_meetings_whenever_the_demo_runs():
    """`make demo` books with the campaign's rep that has the earliest free slot: that is rep1 for every demo zone
    that is inside the calling window, at any hour of the week."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from campaigns.demo import ZONES, _inside
    from crm.availability import free_slots

    call_command("seed_demo", leads=1, demo=True)
    campaign = Campaign.objects.get(slug="demo")
    assert [rep.user.username for rep in campaign.reps.all()] == ["rep1"]
    monday = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    for hour in range(0, 7 * 24, 3):
        now = monday + dt.timedelta(hours=hour)
        for _, zone in ZONES:
            if _inside(campaign, now.astimezone(ZoneInfo(zone))):
                slots = free_slots(list(campaign.reps.all()), ZoneInfo(zone), now=now, count=1)
                assert slots, f"no slot for a lead in {zone} at {now:%a %H:%M} UTC"


def test_seed_demo_makes_reminder_and_follow_up_campaigns_with_meetings_due_now():
    """Whenever some demo zone is inside the window: meetings of rep1 booked on calls of the demo campaign, each
    enrolled to be called now (a rehearsal right after seeding calls them)."""
    from django.utils import timezone

    call_command("seed_demo", leads=1, demo=True)
    reminders = Campaign.objects.get(slug="demo-reminders")
    follow_ups = Campaign.objects.get(slug="demo-followups")
    assert (reminders.kind, follow_ups.kind) == ("reminder", "follow_up")
    for campaign, status in ((reminders, "booked"), (follow_ups, "held")):
        enrollments = list(campaign.meeting_enrollments.select_related("meeting__call"))
        assert len(enrollments) == 10
        assert all(e.meeting.status == status and e.meeting.rep.user.username == "rep1" for e in enrollments)
        assert all(e.meeting.call.summary and e.meeting.call.campaign.slug == "demo" for e in enrollments)
        assert all(e.call_at <= timezone.now() for e in enrollments)
        for text in (campaign.active_script_version.opening_line, campaign.active_script_version.voicemail_message):
            assert "AI assistant" in text and "{rep_name}" in text
