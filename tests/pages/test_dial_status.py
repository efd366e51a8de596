"""The campaign page says why the campaign is (not) dialing: window, state rules, hopper, heartbeat."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dialer import heartbeat
from dialer.eligibility import explain_campaign
from tests import factories

pytestmark = pytest.mark.django_db
NY = ZoneInfo("America/New_York")


def test_a_running_campaign_outside_its_window_says_when_it_opens(client, manager, settings):
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    campaign = factories.campaign("spring", status="running", window_start=dt.time(9), window_end=dt.time(17))
    factories.hopper_entry(campaign, factories.lead(phone="+13055550123", timezone="America/New_York"))
    evening = dt.datetime(2026, 6, 10, 18, 30, tzinfo=NY)  # a Wednesday
    client.force_login(manager)

    with time_machine.travel(evening, tick=False):
        heartbeat.beat(evening)
        page = client.get("/campaigns/spring/live/").content.decode()

    assert 'id="dial-status"' in page and "not dialing" in page
    assert "opens at 09:00 (Thu 11 Jun) in America/New_York" in page
    assert "Fla. Stat. § 501.616" in page  # the Florida rule applied to this hopper
    assert "No dialer heartbeat" not in page


def test_a_campaign_without_a_dialer_heartbeat_says_so():
    campaign = factories.campaign("spring", status="running")
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"))
    noon = dt.datetime(2026, 6, 10, 12, 0, tzinfo=NY)
    heartbeat.beat(noon - dt.timedelta(minutes=5))

    status = explain_campaign(campaign, noon)

    assert "no_heartbeat" in {r["code"] for r in status["reasons"]}


def test_no_due_leads_are_explained_with_the_next_retry_time():
    campaign = factories.campaign("spring", status="running", max_attempts=2)
    noon = dt.datetime(2026, 6, 10, 12, 0, tzinfo=NY)
    heartbeat.beat(noon)
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"), attempts=2)
    factories.hopper_entry(
        campaign, factories.lead(timezone="America/New_York"), state="retry", attempts=1,
        next_attempt_at=noon + dt.timedelta(hours=2),
    )  # fmt: skip

    status = explain_campaign(campaign, noon)

    [reason] = [r for r in status["reasons"] if r["code"] == "no_due_leads"]
    assert "1 out of attempts" in reason["message"] and "1 waiting to retry" in reason["message"]
    assert "next retry at 18:00 UTC" in reason["message"]  # for people; the JSON field keeps ISO-8601
    assert status["next_retry"] == "2026-06-10T18:00:00+00:00"
    assert status["counts"]["due"] == 0


ZONES = ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Asia/Tokyo", "Australia/Sydney")


def test_due_leads_all_outside_their_window_are_not_reported_as_dialing(client, manager):
    campaign = factories.campaign("spring", status="running", window_start=dt.time(8), window_end=dt.time(17))
    for i in range(33):
        factories.hopper_entry(campaign, factories.lead(timezone=ZONES[i % len(ZONES)]))
    dawn = dt.datetime(2026, 11, 30, 10, 50, tzinfo=dt.UTC)
    factories.hopper_entry(  # London is open (10:50) but its lead waits for a retry: it must not hide the rest
        campaign, factories.lead(timezone="Europe/London"), state="retry", attempts=1,
        next_attempt_at=dawn + dt.timedelta(hours=3),
    )  # fmt: skip
    # 05:50 New York, 02:50 Los Angeles, 00:50 Honolulu, 19:50 Tokyo, 21:50 Sydney: every window is closed.
    client.force_login(manager)

    with time_machine.travel(dawn, tick=False):
        heartbeat.beat(dawn)
        page = client.get("/campaigns/spring/live/").content.decode()
        status = explain_campaign(campaign, dawn)

    assert "not dialing" in page and "Nothing holds the dialer back" not in page
    assert (
        "33 leads are due but outside their calling window now; the next window opens at 08:00 (Mon 30 Nov) "
        "in America/New_York (in 2 h 10 min)"
    ) in page
    assert "Due now 0" in page and "due outside their window 33" in page
    assert status["dialing"] is False
    assert status["counts"]["due"] == 0 and status["counts"]["due_outside_window"] == 33


def test_due_leads_are_split_into_dialable_now_and_outside_their_window():
    campaign = factories.campaign("spring", status="running", window_start=dt.time(9), window_end=dt.time(20))
    noon_ny = dt.datetime(2026, 6, 10, 12, 0, tzinfo=NY)  # 01:00 in Tokyo
    heartbeat.beat(noon_ny)
    for _ in range(2):
        factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"))
    factories.hopper_entry(campaign, factories.lead(timezone="Asia/Tokyo"))

    status = explain_campaign(campaign, noon_ny)

    assert status["dialing"] is True
    assert status["counts"]["due"] == 2 and status["counts"]["due_outside_window"] == 1
