"""A rep edits their own weekly hours and time zone; overlapping or inverted blocks are refused."""
import datetime as dt
import re

import pytest

from crm.models import Availability

pytestmark = pytest.mark.django_db


def _formset(rep, rows, **extra):
    """POST data for the hours formset: existing rows keep their ids, new rows follow."""
    existing = list(Availability.objects.filter(rep=rep).order_by("weekday", "start"))
    data = {
        "rep-timezone": extra.get("timezone", rep.timezone),
        "rep-meeting_minutes": "30",
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": str(len(existing)),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        if i < len(existing):
            data[f"hours-{i}-id"] = str(existing[i].pk)
        data.update({f"hours-{i}-{k}": v for k, v in row.items()})
    return data


def _hours(rep):
    return [(a.weekday, a.start, a.end) for a in Availability.objects.filter(rep=rep).order_by("weekday", "start")]


def test_a_rep_changes_removes_and_adds_hours(client, rep):
    client.force_login(rep.user)
    assert len(_hours(rep)) == 5
    rows = [{"weekday": "0", "start": "08:00", "end": "12:00"}]  # Monday shortened
    rows += [{"weekday": str(d), "start": "09:00", "end": "17:00", "DELETE": "on"} for d in range(1, 5)]
    rows += [{"weekday": "5", "start": "10:00", "end": "13:00"}]  # a new Saturday block
    response = client.post("/availability/", _formset(rep, rows, timezone="Europe/London"))
    assert response.status_code == 302
    assert _hours(rep) == [(0, dt.time(8), dt.time(12)), (5, dt.time(10), dt.time(13))]
    rep.refresh_from_db()
    assert rep.timezone == "Europe/London"


def test_overlapping_blocks_on_one_day_are_refused_and_nothing_changes(client, rep):
    client.force_login(rep.user)
    before = _hours(rep)
    rows = [{"weekday": str(d), "start": "09:00", "end": "17:00"} for d in range(5)]
    rows += [{"weekday": "0", "start": "16:00", "end": "18:00"}]
    response = client.post("/availability/", _formset(rep, rows))
    assert "Two blocks overlap on Monday." in response.content.decode()
    assert _hours(rep) == before


def test_a_block_that_ends_before_it_starts_is_refused(client, rep):
    client.force_login(rep.user)
    rows = [{"weekday": str(d), "start": "09:00", "end": "17:00"} for d in range(5)]
    rows += [{"weekday": "6", "start": "15:00", "end": "11:00"}]
    response = client.post("/availability/", _formset(rep, rows))
    assert "Each block must end after it starts." in response.content.decode()
    assert len(_hours(rep)) == 5


def test_a_rep_only_ever_edits_their_own_hours(client, rep, other_rep):
    client.force_login(rep.user)
    page = client.get("/availability/").content.decode()
    theirs = Availability.objects.filter(rep=other_rep).first()
    shown = {int(pk) for pk in re.findall(r'name="hours-\d+-id" value="(\d+)"', page)}
    assert shown == set(Availability.objects.filter(rep=rep).values_list("pk", flat=True))
    rows = [{"weekday": "0", "start": "07:00", "end": "08:00"}]
    data = _formset(rep, rows)
    data["hours-0-id"] = str(theirs.pk)  # a forged id of another rep's block
    client.post("/availability/", data)
    theirs.refresh_from_db()
    assert (theirs.start, theirs.end) == (dt.time(9), dt.time(17))
