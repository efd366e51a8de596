"""Free rep slots, offered in the lead's timezone."""
import datetime as dt
from zoneinfo import ZoneInfo

from crm.availability import free_slots
from tests import factories

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)  # a Monday


def test_slots_are_labelled_in_the_leads_timezone(db):
    rep = factories.rep(timezone="America/New_York")
    slots = free_slots([rep], ZoneInfo("Europe/London"), now=NOW, count=2)
    # The rep starts at 9:00 New York = 14:00 London; two hours' notice from noon UTC rules out nothing earlier.
    labels = [s.label(ZoneInfo("Europe/London")) for s in slots]
    assert labels == ["Monday, March 2 at 2 PM", "Monday, March 2 at 2:30 PM"]


def test_booked_slots_and_slots_outside_the_leads_daytime_are_not_offered(db):
    rep = factories.rep(timezone="America/Los_Angeles")
    first = free_slots([rep], ZoneInfo("America/Los_Angeles"), now=NOW, count=1)[0]
    factories.meeting(rep, start=first.start)
    again = free_slots([rep], ZoneInfo("America/Los_Angeles"), now=NOW, count=1)[0]
    assert again.start == first.start + dt.timedelta(minutes=30)
    for slot in free_slots([rep], ZoneInfo("Asia/Tokyo"), now=NOW, count=20):
        local = slot.start.astimezone(ZoneInfo("Asia/Tokyo"))
        assert 8 <= local.hour and (local + dt.timedelta(minutes=30)).hour <= 19
