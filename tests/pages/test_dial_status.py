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
    assert "next retry at 2026-06-10T18:00:00+00:00" in reason["message"]
    assert status["counts"]["due"] == 0
