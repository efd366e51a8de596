"""`make serve` is the whole product: with only the web process running (no worker, no beat, no broker), a manager
creates a campaign, uploads leads, presses Start, and calls happen: the dialer's tick runs in-process, simulated
telephony rings the leads, and the answered one converses over the media WebSocket of the same server."""
import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from campaigns.demo import SCRIPT as DEMO_SCRIPT
from campaigns.demo import _demo_numbers
from campaigns.models import Campaign, Script
from campaigns.phones import PhoneBook
from campaigns.scripts import save_new_version
from crm.models import Call
from crm.roles import MANAGERS
from dialer import pacing
from dialer.windows import timezone_value_inside
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]

# Countries with one zone each, round the globe: at any hour one of them is inside a 09:00–20:00 window.
REGIONS = ("GB", "DE", "IN", "TH", "JP", "NZ", "BR", "MX")
PERSONAS = ("not_interested", "busy", "no_answer")
SPAN = dt.timedelta(minutes=10)  # longer than the test can take


def _numbers_in_daytime(campaign: Campaign, count: int) -> list[str]:
    """Valid mobile numbers of one country whose zone is inside the campaign's window now and for the test's span."""
    now = timezone.now()
    for region in REGIONS:
        numbers = _demo_numbers(region)
        picked = [next(numbers) for _ in range(count)]
        zones = {PhoneBook("US").normalise(n).timezone for n in picked}
        if len(zones) == 1 and all(
            z and timezone_value_inside(z, campaign, now) and timezone_value_inside(z, campaign, now + SPAN)
            for z in zones
        ):
            return picked
    raise AssertionError("no country of REGIONS is inside the window now; add one")


def test_a_manager_starts_a_campaign_with_only_the_web_process_running_and_calls_happen(page, served_app, make_user):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "calls write from several threads at once and pytest's in-memory SQLite test database locks whole "
            "tables; this test runs on PostgreSQL (DATABASE_URL), as in CI"
        )
    make_user("morgan", MANAGERS, first_name="Morgan", last_name="Manager")
    script = Script.objects.create(name="Demo outreach", slug="demo-outreach")
    save_new_version(script, publish=True, **DEMO_SCRIPT)  # the script the simulated callers are written for

    log_in(page, "morgan")
    page.goto("/campaigns/")
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Clinics abroad")
    page.get_by_label("Slug").fill("clinics-abroad")
    page.get_by_label("Caller id").fill("+14155550100")
    page.get_by_label("Script", exact=True).select_option(label="Demo outreach")
    for day in ("Sat", "Sun"):
        page.get_by_label(day, exact=True).check()  # every day, so the test runs on any day of the week
    for label, value in (("Max concurrency", "4"), ("Calls per second", "5"), ("Max attempts", "3"),
                         ("Ring timeout (seconds)", "20"), ("Longest call (seconds)", "600")):
        page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Create campaign").click()
    page.get_by_role("link", name="Upload leads (CSV)").wait_for()

    campaign = Campaign.objects.get(slug="clinics-abroad")
    pacing.reset(campaign.pk)
    numbers = _numbers_in_daytime(campaign, len(PERSONAS))
    rows = ["First name,Last name,Phone,persona"] + [
        f"Lead{i},Tester,{number},{persona}" for i, (number, persona) in enumerate(zip(numbers, PERSONAS, strict=True))
    ]
    page.get_by_role("link", name="Upload leads (CSV)").click()
    upload = {"name": "leads.csv", "mimeType": "text/csv", "buffer": ("\n".join(rows) + "\n").encode()}
    page.set_input_files("input[type=file]", files=[upload])
    page.get_by_role("button", name="Upload and check columns").click()
    page.get_by_role("button", name="Start import").click()
    page.locator("#import-report").wait_for(timeout=30_000)

    page.goto(f"/campaigns/{campaign.slug}/")
    assert page.locator("#kpi-dialed").inner_text() == "0"
    page.get_by_role("button", name="Start").click()
    page.get_by_text("is now running.").wait_for()

    # Nothing but this server runs: the in-process tick (every 2 s) claims the leads on its next runs and the page
    # shows the calls live. Well under the dialer's 30 s zone cache: the leads imported after the campaign page was
    # first shown (empty hopper, caches warm) must not wait for it to expire.
    page.wait_for_function(
        "n => document.querySelector('#kpi-dialed').textContent === n", arg=str(len(PERSONAS)), timeout=20_000
    )
    page.locator("#outcomes").get_by_text("Busy").wait_for(timeout=30_000)
    page.locator("#outcomes").get_by_text("Not interested").wait_for(timeout=90_000)
    page.locator("#in-flight").get_by_text("No calls in flight").wait_for(timeout=30_000)
    screenshot(page, "make-serve-campaign")

    calls = Call.objects.filter(campaign=campaign)
    assert sorted(calls.values_list("outcome", flat=True)) == ["busy", "no_answer", "not_interested"]
    talked = calls.get(outcome="not_interested")
    assert talked.turns.filter(speaker="caller").exists() and talked.turns.filter(speaker="agent").exists()
