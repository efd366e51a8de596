"""Every time on a page says its zone; users pick their zone (default: the browser's); meeting pages show the
lead's and the rep's date and time; one date format across the site."""
import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings

from crm.models import Call, Profile
from tests import factories

pytestmark = pytest.mark.django_db
# 00:30 UTC on 1 Dec 2026: Mon 30 Nov 19:30 in New York, Tue 1 Dec 09:30 in Tokyo, 01:30 in Berlin.
MOMENT = dt.datetime(2026, 12, 1, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def meeting(rep):
    lead = factories.lead(first_name="Aiko", last_name="Sato", timezone="Asia/Tokyo")
    call = factories.finished_call(factories.hopper_entry(factories.campaign(), lead), "booked")
    Call.objects.filter(pk=call.pk).update(created_at=MOMENT)
    return factories.meeting(rep, call=call, start=MOMENT)


def test_the_meeting_page_shows_the_leads_and_the_reps_date_and_time(client, rep, meeting):
    client.force_login(rep.user)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Tue 1 Dec 2026, 09:30–10:00 JST" in page  # the lead's side, its own date
    assert "Mon 30 Nov 2026, 19:30–20:00 EST" in page  # the rep's side


def test_a_user_picks_a_zone_on_the_account_page_and_every_page_follows(client, manager, meeting):
    client.force_login(manager)
    account = client.get("/account/").content.decode()
    assert "Europe/Berlin" in account and "/accounts/password_change/" in account
    response = client.post("/account/", {"timezone": "Europe/Berlin"}, follow=True)
    assert Profile.objects.get(user=manager).timezone == "Europe/Berlin"
    assert "Times are now shown in Europe/Berlin" in response.content.decode()
    assert "Tue 1 Dec 2026, 01:30 CET" in client.get("/calls/").content.decode()
    call_page = client.get(f"/calls/{meeting.call_id}/").content.decode()
    assert "Meeting Tue 1 Dec 2026, 01:30 CET" in call_page
    assert "Tue 1 Dec 2026, 01:30–02:00 CET" in client.get("/meetings/").content.decode()


def test_an_unknown_zone_is_refused(client, manager):
    client.force_login(manager)
    response = client.post("/account/", {"timezone": "Mars/Olympus"})
    assert "Pick a time zone from the list" in response.content.decode()
    assert not Profile.objects.filter(user=manager, timezone="Mars/Olympus").exists()


def test_until_a_zone_is_picked_the_browsers_zone_is_used(client, manager, meeting):
    client.force_login(manager)
    client.cookies["tz"] = "Asia/Tokyo"
    assert "Tue 1 Dec 2026, 09:30 JST" in client.get("/calls/").content.decode()
    client.cookies["tz"] = "Not/AZone"
    assert f"{settings.TIME_ZONE}" in client.get("/account/").content.decode()
    assert "Tue 1 Dec 2026, 00:30 UTC" in client.get("/calls/").content.decode()


def test_the_layout_sets_the_browser_zone_cookie(client, manager):
    client.force_login(manager)
    page = client.get("/calls/").content.decode()
    assert "Intl.DateTimeFormat().resolvedOptions().timeZone" in page and 'document.cookie = "tz="' in page


def test_templates_write_times_only_through_the_sites_filters():
    """`|date`/`|time` with a clock in them would bypass the zone label; dates alone (chart days) are fine."""
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for match in re.finditer(r"\|(date|time)\b(:\"[^\"]*\")?", path.read_text()):
            fmt = match.group(2) or ""
            if match.group(1) == "time" or re.search(r"[HGhgisAaPOTZcrU]", fmt) or not fmt:
                offenders.append(f"{path.name}: {match.group(0)}")
    assert offenders == []


def test_meeting_times_are_not_shown_without_a_zone(client, rep, meeting):
    client.force_login(rep.user)
    for url in ("/meetings/", f"/meetings/{meeting.pk}/", f"/meetings/{meeting.pk}/cancel/"):
        page = client.get(url).content.decode()
        for clock in re.findall(r"\b\d{2}:\d{2}(?::\d{2})?\b[^<]{0,12}", page):
            assert re.search(r"[A-Z]{3}|UTC", clock), (url, clock)
