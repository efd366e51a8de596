"""Reminder and follow-up calls through the real dialer and voice path: the meeting changes as the callee says."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from campaigns.demo_meetings import FOLLOW_UP_SCRIPT, REMINDER_SCRIPT
from campaigns.models import Campaign
from campaigns.scripts import create_script
from crm.availability import free_slots
from crm.bookings import book_meeting
from crm.models import Availability, Call, Meeting, MeetingChange, Rep
from dialer import pacing, windows
from tests import factories
from voice.rehearsals import rehearse

from .calls import zone_in_daytime


@pytest.fixture
def world(transactional_db, eager_celery, settings):
    settings.TWILIO_CPS_LIMIT = 1000
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    windows.forget_cached_zones()
    pacing.get_pacer().reset([pacing.account_bucket()])
    rep = Rep.objects.create(user=User.objects.create_user("riley", first_name="Riley", last_name="Chen"))
    Availability.objects.bulk_create(  # every hour of every day: some slot is in the lead's daytime
        Availability(rep=rep, weekday=day, start=dt.time(0), end=dt.time(23, 30)) for day in range(7)
    )
    return rep


def _campaign(rep, kind, personas, make_meeting):
    """A running campaign of `kind` with the demo's script for it and a meeting per persona, each due now."""
    reminder = kind == Campaign.Kind.REMINDER
    script = create_script(f"{kind} script", publish=True, **(REMINDER_SCRIPT if reminder else FOLLOW_UP_SCRIPT))
    campaign = factories.campaign(
        script=script, status=Campaign.Status.RUNNING, calls_per_second=100, kind=kind,
        meeting_offset_minutes=48 * 60 if reminder else 60, window_start=dt.time(8), window_end=dt.time(21),
    )
    campaign.reps.add(rep)
    pacing.reset(campaign.pk)
    meetings = []
    for persona in personas:
        lead = factories.lead(timezone=zone_in_daytime(), attributes={"persona": persona})
        meeting = make_meeting(rep, lead)
        Meeting.objects.filter(pk=meeting.pk).update(created_at=meeting.start - dt.timedelta(days=5))
        meetings.append(meeting)
    return campaign, meetings


def _upcoming(rep, lead):
    slot = free_slots([rep], ZoneInfo(lead.timezone), count=1)[0]
    return book_meeting(lead=lead, rep=rep, start=slot.start)


def _held(rep, lead):
    start = (Meeting.objects.order_by("start").values_list("start", flat=True).first()
             or dt.datetime.now(dt.UTC)) - dt.timedelta(hours=20)
    return Meeting.objects.create(lead=lead, rep=rep, start=start, end=start + dt.timedelta(minutes=30),
                                  status=Meeting.Status.HELD)


def test_reminder_calls_confirm_move_and_cancel_meetings(world):
    campaign, (confirmed, moved, canceled) = _campaign(
        world, Campaign.Kind.REMINDER, ("confirms", "wants_another_day", "cancels"), _upcoming
    )
    before = moved.start

    report = rehearse(campaign, 3, timeout=120)

    assert report.outcomes == {"canceled": 1, "confirmed": 1, "rescheduled": 1}
    for meeting, status in ((confirmed, "confirmed"), (moved, "rescheduled"), (canceled, "canceled")):
        meeting.refresh_from_db()
        assert meeting.status == status
        change = meeting.changes.get()
        assert change.call.lead_id == meeting.lead_id and change.call_id in report.call_ids
    zone = ZoneInfo(moved.lead.timezone)  # "another day" is the callee's day, not UTC's
    assert moved.start.astimezone(zone).date() > before.astimezone(zone).date()
    assert "another vendor" in canceled.changes.get().detail
    assert {k: report.as_json()[k] for k in ("meetings_confirmed", "meetings_rescheduled", "meetings_canceled")} == {
        "meetings_confirmed": 1, "meetings_rescheduled": 1, "meetings_canceled": 1
    }


def test_follow_up_calls_answer_book_the_next_meeting_and_record_the_next_step(world):
    campaign, (asks, ready) = _campaign(
        world, Campaign.Kind.FOLLOW_UP, ("pricing_question", "ready_next_step"), _held
    )

    report = rehearse(campaign, 2, timeout=120)

    assert report.outcomes == {"booked": 1, "next_step": 1}
    asks_call = Call.objects.get(pk__in=report.call_ids, lead=asks.lead)
    assert "99 dollars" in " ".join(asks_call.turns.values_list("text", flat=True))
    assert asks.changes.get().detail == "Send information or a proposal: Not yet, please send me a proposal first."
    following = ready.changes.get()
    assert following.kind == MeetingChange.Kind.NEXT_MEETING
    assert (following.related_meeting.rep_id, following.related_meeting.status) == (world.pk, "booked")
    assert report.as_json()["next_meetings_booked"] == 1
