"""Reminder and follow-up campaigns enroll the meetings of their reps, once, at a time the lead may be called."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign, CampaignLead, MeetingEnrollment
from crm.models import Meeting
from dialer.enrollment_reminders import enroll
from tests import factories

UTC = dt.UTC
NY, LA, LONDON = ZoneInfo("America/New_York"), ZoneInfo("America/Los_Angeles"), ZoneInfo("Europe/London")


@pytest.fixture
def rep(db):
    return factories.rep(weekdays=range(7))


def meeting_campaign(rep, kind=Campaign.Kind.REMINDER, offset_minutes=24 * 60, **fields):
    fields.setdefault("status", Campaign.Status.RUNNING)
    campaign = factories.campaign(kind=kind, meeting_offset_minutes=offset_minutes, **fields)
    campaign.reps.add(rep)
    return campaign


def booked(rep, start, lead=None, booked_at=None, status=Meeting.Status.BOOKED):
    meeting = factories.meeting(rep, lead_=lead or factories.lead(), start=start, status=status)
    Meeting.objects.filter(pk=meeting.pk).update(created_at=booked_at or start - dt.timedelta(days=5))
    meeting.refresh_from_db()
    return meeting


def planned(campaign, meeting) -> dt.datetime:
    return MeetingEnrollment.objects.get(campaign=campaign, meeting=meeting).call_at


def test_a_reminder_is_planned_the_offset_before_in_the_leads_time(rep):
    campaign = meeting_campaign(rep)
    meeting = booked(rep, dt.datetime(2026, 6, 16, 15, 0, tzinfo=NY))
    counts = enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY))
    assert counts["enrolled"] == 1
    assert planned(campaign, meeting) == dt.datetime(2026, 6, 15, 15, 0, tzinfo=NY)
    entry = CampaignLead.objects.get(campaign=campaign, lead=meeting.lead)
    assert (entry.state, entry.next_attempt_at) == ("pending", dt.datetime(2026, 6, 15, 15, 0, tzinfo=NY))


def test_a_reminder_moves_into_the_leads_window_in_another_zone(rep):
    """09:00 New York is 06:00 in Los Angeles: the day-before reminder waits for 09:00 there."""
    campaign = meeting_campaign(rep)
    lead = factories.lead(timezone="America/Los_Angeles")
    meeting = booked(rep, dt.datetime(2026, 6, 16, 9, 0, tzinfo=NY), lead=lead)
    enroll(campaign.pk, now=dt.datetime(2026, 6, 14, 12, 0, tzinfo=UTC))
    assert planned(campaign, meeting) == dt.datetime(2026, 6, 15, 9, 0, tzinfo=LA)
    assert "moved from Mon 06:00" in MeetingEnrollment.objects.get(meeting=meeting).plan


@pytest.mark.parametrize(
    "start, expected_utc",
    [
        # US clocks go forward on Sun 8 Mar 2026: the day before a 15:00 EDT meeting is 15:00 EST, 20:00 UTC
        # (24 elapsed hours would be 14:00 EST).
        (dt.datetime(2026, 3, 8, 15, 0, tzinfo=NY), dt.datetime(2026, 3, 7, 20, 0, tzinfo=UTC)),
        # ... and back on Sun 1 Nov 2026: 15:00 EST on Sunday -> 15:00 EDT on Saturday, 19:00 UTC.
        (dt.datetime(2026, 11, 1, 15, 0, tzinfo=NY), dt.datetime(2026, 10, 31, 19, 0, tzinfo=UTC)),
    ],
)
def test_the_offset_is_wall_clock_time_across_a_dst_change(rep, start, expected_utc):
    campaign = meeting_campaign(rep)
    meeting = booked(rep, start)
    enroll(campaign.pk, now=start - dt.timedelta(days=2))
    assert planned(campaign, meeting) == expected_utc
    assert planned(campaign, meeting).astimezone(NY).hour == 15


def test_dst_in_the_leads_zone_not_the_reps(rep):
    """Between the US and the UK switch (8-29 Mar 2026) London is 4 h ahead of New York, not 5."""
    campaign = meeting_campaign(rep, window_start=dt.time(9), window_end=dt.time(20))
    lead = factories.lead(phone="+447400123456", timezone="Europe/London")
    meeting = booked(rep, dt.datetime(2026, 3, 17, 10, 0, tzinfo=NY), lead=lead)  # 14:00 in London
    enroll(campaign.pk, now=dt.datetime(2026, 3, 15, 12, 0, tzinfo=UTC))
    assert planned(campaign, meeting) == dt.datetime(2026, 3, 16, 14, 0, tzinfo=LONDON)


def test_a_state_calling_law_moves_the_reminder(rep):
    """Florida allows calls 08:00-20:00 (Fla. Stat. 501.059): a 20:30 reminder goes out at 08:00 the next day."""
    campaign = meeting_campaign(rep, window_start=dt.time(8), window_end=dt.time(21))
    lead = factories.lead(phone="+13055550123")
    meeting = booked(rep, dt.datetime(2026, 6, 16, 20, 30, tzinfo=NY), lead=lead)
    enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 12, 0, tzinfo=UTC))
    assert planned(campaign, meeting) == dt.datetime(2026, 6, 16, 8, 0, tzinfo=NY)


def test_a_reminder_goes_earlier_when_later_would_be_too_late(rep):
    """An 08:30 meeting with a 1 h reminder: 07:30 is outside the 09:00-20:00 window, so the evening before."""
    campaign = meeting_campaign(rep, offset_minutes=60)
    meeting = booked(rep, dt.datetime(2026, 6, 16, 8, 30, tzinfo=NY))
    enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 12, 0, tzinfo=NY))
    assert planned(campaign, meeting) == dt.datetime(2026, 6, 15, 19, 45, tzinfo=NY)


def test_no_reminder_right_after_booking_or_too_close_to_the_start(rep):
    campaign = meeting_campaign(rep)
    now = dt.datetime(2026, 6, 15, 12, 0, tzinfo=NY)
    fresh = booked(rep, now + dt.timedelta(hours=5), booked_at=now - dt.timedelta(minutes=10))
    imminent = booked(rep, now + dt.timedelta(minutes=20))
    enroll(campaign.pk, now=now)
    assert planned(campaign, fresh) == now + dt.timedelta(hours=1, minutes=50)  # two hours after it was booked
    assert not MeetingEnrollment.objects.filter(meeting=imminent).exists()


def test_enrolling_again_changes_nothing(rep):
    campaign = meeting_campaign(rep)
    now = dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY)
    meetings = [booked(rep, dt.datetime(2026, 6, 16, 10 + i, 0, tzinfo=NY)) for i in range(3)]
    assert enroll(campaign.pk, now=now)["enrolled"] == 3
    again = enroll(campaign.pk, now=now + dt.timedelta(minutes=1))
    assert again["enrolled"] == 0
    assert MeetingEnrollment.objects.filter(campaign=campaign).count() == 3
    assert CampaignLead.objects.filter(campaign=campaign).count() == 3
    assert {e.meeting_id for e in MeetingEnrollment.objects.all()} == {m.pk for m in meetings}


def test_a_leads_second_meeting_waits_for_the_first_call(rep):
    campaign = meeting_campaign(rep)
    lead = factories.lead()
    now = dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY)
    first = booked(rep, dt.datetime(2026, 6, 16, 10, 0, tzinfo=NY), lead=lead)
    second = booked(rep, dt.datetime(2026, 6, 16, 14, 0, tzinfo=NY), lead=lead)
    assert enroll(campaign.pk, now=now) == {"enrolled": 1, "waiting": 1, "skipped": 0, "closed": 0, "replanned": 0}
    CampaignLead.objects.filter(campaign=campaign, lead=lead).update(state="done", attempts=1, last_outcome="confirmed")
    assert enroll(campaign.pk, now=now)["enrolled"] == 1
    entry = CampaignLead.objects.get(campaign=campaign, lead=lead)
    assert (entry.state, entry.attempts) == ("pending", 0)
    assert [e.meeting_id for e in entry.meeting_enrollments.order_by("id")] == [first.pk, second.pk]
    # Once the first meeting is near, its (finished) enrollment does not close the row waiting for the second.
    enroll(campaign.pk, now=dt.datetime(2026, 6, 16, 9, 45, tzinfo=NY))
    assert CampaignLead.objects.get(pk=entry.pk).state == "pending"


def test_a_canceled_meeting_is_not_called_about(rep):
    campaign = meeting_campaign(rep)
    now = dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY)
    meeting = booked(rep, dt.datetime(2026, 6, 16, 10, 0, tzinfo=NY))
    enroll(campaign.pk, now=now)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELED)
    assert enroll(campaign.pk, now=now)["closed"] == 1
    entry = CampaignLead.objects.get(campaign=campaign, lead=meeting.lead)
    assert entry.state == "done"
    assert "canceled" in MeetingEnrollment.objects.get(meeting=meeting).closed_reason


def test_a_moved_meeting_moves_its_reminder(rep):
    campaign = meeting_campaign(rep)
    now = dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY)
    meeting = booked(rep, dt.datetime(2026, 6, 16, 15, 0, tzinfo=NY))
    enroll(campaign.pk, now=now)
    Meeting.objects.filter(pk=meeting.pk).update(
        start=dt.datetime(2026, 6, 16, 17, 0, tzinfo=NY), end=dt.datetime(2026, 6, 16, 17, 30, tzinfo=NY)
    )
    assert enroll(campaign.pk, now=now)["replanned"] == 1
    assert CampaignLead.objects.get(campaign=campaign).next_attempt_at == dt.datetime(2026, 6, 15, 17, 0, tzinfo=NY)


def test_only_the_campaigns_reps_and_open_meetings_are_reminded(rep):
    campaign = meeting_campaign(rep)
    other_rep = factories.rep(weekdays=range(7))
    start = dt.datetime(2026, 6, 16, 15, 0, tzinfo=NY)
    booked(other_rep, start)
    booked(rep, start + dt.timedelta(hours=1), status=Meeting.Status.CANCELED)
    assert enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY))["enrolled"] == 0


def test_a_follow_up_is_planned_after_a_held_meeting(rep):
    campaign = meeting_campaign(rep, kind=Campaign.Kind.FOLLOW_UP, offset_minutes=18 * 60)
    held = booked(rep, dt.datetime(2026, 6, 15, 16, 0, tzinfo=NY), status=Meeting.Status.HELD)
    booked(rep, dt.datetime(2026, 6, 15, 11, 0, tzinfo=NY))  # still "booked": not held, no follow-up
    counts = enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 18, 0, tzinfo=NY))
    assert counts["enrolled"] == 1
    # 16:30 end + 18 h = 10:30 the next morning, inside the window.
    assert planned(campaign, held) == dt.datetime(2026, 6, 16, 10, 30, tzinfo=NY)
    # 14:30 end + 18 h = 08:30, before the 09:00 window opens: 09:00.
    other = booked(rep, dt.datetime(2026, 6, 15, 14, 0, tzinfo=NY), status=Meeting.Status.HELD)
    enroll(campaign.pk, now=dt.datetime(2026, 6, 15, 18, 0, tzinfo=NY))
    assert planned(campaign, other) == dt.datetime(2026, 6, 16, 9, 0, tzinfo=NY)


def test_prospecting_and_stopped_campaigns_enroll_nothing(rep):
    now = dt.datetime(2026, 6, 15, 8, 0, tzinfo=NY)
    booked(rep, dt.datetime(2026, 6, 16, 15, 0, tzinfo=NY))
    prospecting = meeting_campaign(rep, kind=Campaign.Kind.PROSPECTING)
    stopped = meeting_campaign(rep, status=Campaign.Status.STOPPED)
    assert enroll(prospecting.pk, now=now)["enrolled"] == 0
    assert enroll(stopped.pk, now=now)["enrolled"] == 0


def test_the_beat_enrolls_every_live_meeting_campaign(rep, settings):
    """`dialer.tasks.enroll_meetings` is on the beat (and so on the in-process beat without a broker)."""
    from django.utils import timezone

    from dialer.tasks import enroll_meetings

    assert settings.CELERY_BEAT_SCHEDULE["meetings-enroll"]["task"] == "dialer.tasks.enroll_meetings"
    campaign = meeting_campaign(rep)
    follow_ups = meeting_campaign(rep, kind=Campaign.Kind.FOLLOW_UP, offset_minutes=0)
    start = (timezone.now() + dt.timedelta(hours=20)).replace(microsecond=0)
    upcoming = booked(rep, start)
    held = booked(rep, start - dt.timedelta(days=2), status=Meeting.Status.HELD)
    assert enroll_meetings()["enrolled"] == 2
    assert MeetingEnrollment.objects.get(meeting=upcoming).campaign == campaign
    assert MeetingEnrollment.objects.get(meeting=held).campaign == follow_ups
    assert enroll_meetings()["enrolled"] == 0
