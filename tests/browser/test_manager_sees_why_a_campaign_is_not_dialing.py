"""A manager opens a running campaign outside its calling window and reads when it opens and which state
rule applies to its leads (the dial status box, refreshed with the live part of the page)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from crm.roles import MANAGERS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


def test_a_campaign_outside_its_window_shows_when_it_opens(page, make_user):
    make_user("morgan", MANAGERS, first_name="Morgan")
    today = dt.datetime.now(ZoneInfo("America/New_York")).weekday()
    days = [d for d in range(7) if d != today]  # closed all of today, New York time
    campaign = factories.campaign(
        "spring", name="Spring outreach", status="running", calling_days=days,
        window_start=dt.time(9), window_end=dt.time(17),
    )  # fmt: skip
    factories.hopper_entry(campaign, factories.lead(phone="+13055550123", timezone="America/New_York"))
    log_in(page, "morgan")

    page.goto("/campaigns/spring/")

    status = page.locator("#dial-status")
    status.get_by_text("not dialing").wait_for()
    reasons = page.locator("#dial-reasons")
    assert "opens at 09:00" in reasons.inner_text() and "America/New_York" in reasons.inner_text()
    page.locator("#dial-rules summary").click()
    assert "Fla. Stat. § 501.616" in page.locator("#dial-rules").inner_text()
    screenshot(page, "campaign-not-dialing")
