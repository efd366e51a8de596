"""A meeting is booked only into a slot availability would offer: inside the rep's hours, in the future, and free."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.bookings import book_meeting
from crm.meetings import SlotTaken, SlotUnavailable, reschedule
from crm.models import Meeting
from tests import factories

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK)


@pytest.fixture
def rep(db):
    return factories.rep("riley", timezone="America/New_York", weekdays=range(7))  # 9-17 every day


def test_an_overlapping_booking_for_the_same_rep_is_refused(rep):
    book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    with pytest.raises(SlotTaken, match="riley already has a meeting"):
        book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10, 15))
    assert Meeting.objects.count() == 1


def test_back_to_back_meetings_and_a_canceled_one_do_not_block(rep):
    first = book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10, 30))
    Meeting.objects.filter(pk=first.pk).update(status=Meeting.Status.CANCELED)
    book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 9, 45))
    assert Meeting.objects.exclude(status="canceled").count() == 2


def test_another_rep_at_the_same_time_is_free(rep):
    book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    book_meeting(lead=factories.lead(), rep=factories.rep(weekdays=range(7)), start=_at(2, 10))
    assert Meeting.objects.count() == 2


def test_a_start_in_the_past_is_refused(rep):
    with pytest.raises(SlotUnavailable, match="in the past"):
        book_meeting(lead=factories.lead(), rep=rep, start=dt.datetime(2020, 3, 3, 10, tzinfo=NEW_YORK))
    with pytest.raises(SlotUnavailable, match="in the past"):
        book_meeting(lead=factories.lead(), rep=rep, start=timezone.now() - dt.timedelta(minutes=1))
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("hour, minute", [(3, 0), (8, 45), (16, 45), (17, 0), (22, 0)])
def test_a_start_outside_the_reps_hours_is_refused(rep, hour, minute):
    with pytest.raises(SlotUnavailable, match=r"riley takes meetings .* 09:00–17:00 \(America/New_York\)"):
        book_meeting(lead=factories.lead(), rep=rep, start=_at(2, hour, minute))
    assert not Meeting.objects.exists()


def test_a_day_without_hours_is_refused_naming_the_day():
    weekday_rep = factories.rep("wendy", weekdays=[0])  # Mondays only
    day = next(_at(d, 10) for d in range(2, 9) if _at(d, 10).weekday() == 2)
    with pytest.raises(SlotUnavailable, match="wendy takes no meetings on Wednesdays"):
        book_meeting(lead=factories.lead(), rep=weekday_rep, start=day)


def test_the_hours_are_the_reps_own_whatever_zone_the_start_is_given_in(rep):
    tokyo = _at(2, 11).astimezone(ZoneInfo("Asia/Tokyo"))  # 11:00 in New York, the middle of the night in Tokyo
    assert book_meeting(lead=factories.lead(), rep=rep, start=tokyo).start == _at(2, 11)


def test_reschedule_to_three_in_the_morning_is_refused_and_the_meeting_stays(rep):
    meeting = book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    with pytest.raises(SlotUnavailable, match="outside them"):
        reschedule(meeting, _at(3, 3))
    meeting.refresh_from_db()
    assert meeting.start == _at(2, 10) and meeting.status == "booked"


def test_reschedule_onto_an_overlapping_meeting_is_refused(rep):
    meeting = book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    book_meeting(lead=factories.lead(first_name="Quinn", last_name="Doe"), rep=rep, start=_at(3, 14))
    with pytest.raises(SlotTaken, match="riley already has a meeting with Quinn Doe"):
        reschedule(meeting, _at(3, 14, 15))


def test_reschedule_over_its_own_old_time_is_allowed_and_says_the_lead_was_not_told(rep):
    meeting = book_meeting(lead=factories.lead(), rep=rep, start=_at(2, 10))
    moved = reschedule(meeting, _at(2, 10, 15))
    assert moved.meeting.start == _at(2, 10, 15) and moved.meeting.status == "rescheduled"
    assert moved.lead_told is False and "the lead has not been told of the new time" in moved.message


def test_the_database_refuses_an_overlap_that_skips_the_check(transactional_db, on_postgres, rep):
    if not on_postgres:
        pytest.skip("the overlap constraint is PostgreSQL's (btree_gist); SQLite relies on the locked check")
    factories.meeting(rep, start=_at(2, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.meeting(rep, start=_at(2, 10, 15))
    factories.meeting(rep, start=_at(2, 10, 15), status="canceled")
    factories.meeting(rep, start=_at(2, 10, 30))
