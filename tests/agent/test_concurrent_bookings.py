"""Two calls book overlapping times for one rep at the same moment: exactly one meeting is made."""
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from crm.bookings import book_meeting
from crm.meetings import SlotTaken
from crm.models import Lead, Meeting, Rep
from tests import factories

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("minutes", [0, 15])
def test_concurrent_overlapping_bookings_one_wins(transactional_db, minutes):
    rep = factories.rep("riley", weekdays=range(7))
    leads = [factories.lead(), factories.lead()]
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=2)
    starts = [dt.datetime.combine(day, dt.time(10), NEW_YORK), dt.datetime.combine(day, dt.time(10, minutes), NEW_YORK)]
    barrier = threading.Barrier(len(leads), timeout=10)
    outcomes: list[str] = []

    def book(lead: Lead, start: dt.datetime) -> None:
        try:
            barrier.wait()
            book_meeting(lead=lead, rep=Rep.objects.get(pk=rep.pk), start=start)
            outcomes.append("booked")
        except SlotTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=pair) for pair in zip(leads, starts, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(outcomes) == ["booked", "taken"]
    assert Meeting.objects.filter(rep=rep).count() == 1


def test_a_booking_stuck_holding_the_reps_lock_makes_the_next_one_give_up_in_time(
    transactional_db, on_postgres, monkeypatch
):
    if not on_postgres:
        pytest.skip("the row-lock wait is PostgreSQL's; SQLite waits on its busy timeout")
    from django.db import transaction

    from crm import meetings

    monkeypatch.setattr(meetings, "LOCK_TIMEOUT_MS", 200)
    rep = factories.rep("riley", weekdays=range(7))
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=2)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        try:
            with transaction.atomic():
                Rep.objects.select_for_update().get(pk=rep.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        with pytest.raises(SlotTaken, match="being changed right now"):
            book_meeting(lead=factories.lead(), rep=rep, start=dt.datetime.combine(day, dt.time(10), NEW_YORK))
    finally:
        release.set()
        holder.join(20)
    assert not Meeting.objects.exists()
