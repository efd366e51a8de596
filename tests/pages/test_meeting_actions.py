"""A rep confirms, reschedules, cancels, or marks a meeting held or no-show; a taken slot gets a clear error."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.models import Meeting
from tests import factories

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")


def _at(days: int, hour: int) -> dt.datetime:
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), NEW_YORK)


@pytest.fixture
def rep(db):
    """Hours 9-17 every day, so "three days from now at 14:00" is inside them whatever today is."""
    return factories.rep("riley", weekdays=range(7))


@pytest.fixture
def meeting(rep):
    return factories.meeting(rep, start=_at(2, 10))


def _post(client, url, data=None):
    return client.post(url, data or {}, follow=True).content.decode()


def test_a_rep_confirms_a_booked_meeting(client, rep, meeting):
    client.force_login(rep.user)
    page = _post(client, f"/meetings/{meeting.pk}/confirm/")
    assert Meeting.objects.get(pk=meeting.pk).status == "confirmed"
    assert "Meeting marked confirmed." in page


def test_a_rep_cancels_a_meeting(client, rep, meeting):
    client.force_login(rep.user)
    _post(client, f"/meetings/{meeting.pk}/cancel/")
    assert Meeting.objects.get(pk=meeting.pk).status == "canceled"


def test_a_future_meeting_cannot_be_marked_held_or_no_show(client, rep, meeting):
    client.force_login(rep.user)
    page = _post(client, f"/meetings/{meeting.pk}/held/")
    assert "has not started yet" in page
    assert Meeting.objects.get(pk=meeting.pk).status == "booked"
    assert "/no_show/" not in client.get(f"/meetings/{meeting.pk}/").content.decode()


def test_a_past_meeting_is_marked_held_or_no_show(client, rep):
    held = factories.meeting(rep, start=timezone.now() - dt.timedelta(hours=3))
    missed = factories.meeting(rep, start=timezone.now() - dt.timedelta(hours=2))
    client.force_login(rep.user)
    _post(client, f"/meetings/{held.pk}/held/")
    _post(client, f"/meetings/{missed.pk}/no_show/")
    assert Meeting.objects.get(pk=held.pk).status == "held"
    assert Meeting.objects.get(pk=missed.pk).status == "no_show"


def test_a_canceled_meeting_cannot_be_confirmed(client, rep, meeting):
    Meeting.objects.filter(pk=meeting.pk).update(status="canceled")
    client.force_login(rep.user)
    page = _post(client, f"/meetings/{meeting.pk}/confirm/")
    assert "A canceled meeting cannot be marked confirmed." in page
    assert Meeting.objects.get(pk=meeting.pk).status == "canceled"


def test_rescheduling_moves_the_meeting_in_the_reps_time_zone(client, rep, meeting):
    client.force_login(rep.user)
    target = _at(3, 14)
    page = _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": target.strftime("%Y-%m-%dT%H:%M")})
    meeting.refresh_from_db()
    assert meeting.start == target and meeting.end == target + dt.timedelta(minutes=30)
    assert meeting.status == "rescheduled"
    assert f"Meeting moved to {target:%a} {target.day} {target:%b %Y}, 14:00 {target:%Z}." in page
    assert "the lead has not been told of the new time" in page


def test_rescheduling_outside_the_reps_hours_is_refused(client, rep, meeting):
    client.force_login(rep.user)
    page = _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": _at(3, 3).strftime("%Y-%m-%dT%H:%M")})
    assert "riley takes meetings on" in page and "09:00–17:00 (America/New_York); 03:00–03:30 is outside them" in page
    meeting.refresh_from_db()
    assert meeting.start == _at(2, 10) and meeting.status == "booked"


@pytest.mark.parametrize("start_hour,start_minute", [(14, 0), (14, 15), (13, 45)])
def test_rescheduling_onto_a_taken_slot_is_refused_with_a_clear_error(client, rep, meeting, start_hour, start_minute):
    other = factories.meeting(rep, lead_=factories.lead(first_name="Quinn", last_name="Doe"), start=_at(3, 14))
    client.force_login(rep.user)
    target = _at(3, start_hour).replace(minute=start_minute)
    page = _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": target.strftime("%Y-%m-%dT%H:%M")})
    assert "riley already has a meeting with Quinn Doe at" in page and "pick another time" in page
    meeting.refresh_from_db()
    assert meeting.start == _at(2, 10) and meeting.status == "booked"
    assert Meeting.objects.get(pk=other.pk).start == _at(3, 14)


def test_a_canceled_meeting_does_not_block_the_slot(client, rep, meeting):
    factories.meeting(rep, start=_at(3, 14), status="canceled")
    client.force_login(rep.user)
    _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": _at(3, 14).strftime("%Y-%m-%dT%H:%M")})
    meeting.refresh_from_db()
    assert meeting.start == _at(3, 14)


def test_rescheduling_into_the_past_or_with_no_date_is_refused(client, rep, meeting):
    client.force_login(rep.user)
    page = _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": "2001-01-01T10:00"})
    assert "Pick a time in the future." in page
    page = _post(client, f"/meetings/{meeting.pk}/reschedule/", {"start": ""})
    assert "Enter the new date and time" in page
    meeting.refresh_from_db()
    assert meeting.start == _at(2, 10)
