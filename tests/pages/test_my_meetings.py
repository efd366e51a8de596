"""A rep's "My meetings": upcoming first, grouped by status, then past ones awaiting an outcome, then closed."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from crm.meetings import agenda
from tests import factories

pytestmark = pytest.mark.django_db


def test_upcoming_meetings_come_first_grouped_by_status_soonest_first(rep):
    now = timezone.now()
    later = factories.meeting(rep, start=now + dt.timedelta(days=3))
    sooner = factories.meeting(rep, start=now + dt.timedelta(days=1))
    confirmed = factories.meeting(rep, start=now + dt.timedelta(days=2), status="confirmed")
    past = factories.meeting(rep, start=now - dt.timedelta(days=1))
    held = factories.meeting(rep, start=now - dt.timedelta(days=2), status="held")
    canceled = factories.meeting(rep, start=now + dt.timedelta(days=5), status="canceled")
    groups = agenda([later, sooner, confirmed, past, held, canceled], now)
    assert [(g.title, g.meetings) for g in groups] == [
        ("Upcoming · booked", [sooner, later]),
        ("Upcoming · confirmed", [confirmed]),
        ("Past · mark held or no-show", [past]),
        ("Held", [held]),
        ("Canceled", [canceled]),
    ]


def test_the_page_shows_times_in_the_reps_zone(client):
    rep = factories.rep("riley", timezone="Europe/London")
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    factories.meeting(rep, lead_=factories.lead(first_name="Pat", company="Globex"), start=start)
    client.force_login(rep.user)
    page = client.get("/meetings/").content.decode()
    london = timezone.localtime(start, ZoneInfo("Europe/London"))
    assert "times in Europe/London" in page
    assert london.strftime("%H:%M") in page
    assert "Upcoming · booked" in page and "Globex" in page
