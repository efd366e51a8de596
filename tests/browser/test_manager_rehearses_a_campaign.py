"""A manager starts a campaign from its page and watches the funnel fill while a rehearsal runs its calls over
the real path (dialer → simulated telephony → media WebSocket → voice session → finalize_call)."""
import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from campaigns import stats
from campaigns.demo import SCRIPT as DEMO_SCRIPT
from campaigns.models import Script
from campaigns.scripts import save_new_version
from crm.roles import MANAGERS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]

PERSONAS = (
    "books_meeting", "not_interested", "opt_out", "voicemail", "no_answer", "busy", "interrupter", "kb_question",
)
ZONES = (
    "Pacific/Honolulu", "America/Los_Angeles", "America/Chicago", "America/New_York", "America/Sao_Paulo",
    "Europe/London", "Europe/Berlin", "Europe/Athens", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok",
    "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
)


def _daytime_zone() -> str:
    """A zone where it is mid-day now, so every lead is inside the calling window whenever the test runs."""
    now = dt.datetime.now(dt.UTC)
    return next(z for z in ZONES if 10 <= now.astimezone(ZoneInfo(z)).hour < 18)


def _rehearsal(campaign, calls: int, errors: list) -> threading.Thread:
    from voice.rehearsals import rehearse

    def run():
        try:
            rehearse(campaign, calls, timeout=150)
        except Exception as exc:  # surfaced by the test after join
            errors.append(exc)
        finally:
            connections.close_all()

    return threading.Thread(target=run, name="rehearsal", daemon=True)


def test_a_manager_starts_a_rehearsal_campaign_and_sees_the_funnel_fill(page, make_user):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the rehearsal writes from a dozen threads at once and pytest's in-memory SQLite test database locks "
            "whole tables; this test runs on PostgreSQL (DATABASE_URL), as in CI"
        )
    make_user("morgan", MANAGERS, first_name="Morgan", last_name="Manager")
    zone = _daytime_zone()
    rep = factories.rep("riley", timezone=zone, weekdays=range(7))
    script = Script.objects.create(name="Demo outreach", slug="demo-outreach")
    save_new_version(script, publish=True, **DEMO_SCRIPT)  # the script the callee personas are written for
    campaign = factories.campaign("rehearsal", name="Dental clinics (rehearsal)", script=script, max_concurrency=4)
    campaign.reps.add(rep)
    for i, persona in enumerate(PERSONAS):
        phone = f"+1201555{7000 + i:04d}"
        lead = factories.lead(phone, timezone=zone, first_name=f"Lead{i}", attributes={"persona": persona})
        factories.hopper_entry(campaign, lead)

    log_in(page, "morgan")
    page.get_by_role("link", name="Dental clinics (rehearsal)").click()
    assert page.locator("#kpi-dialed").inner_text() == "0"
    page.get_by_role("button", name="Start").click()
    page.get_by_text("is now running.").wait_for()
    page.evaluate("window.stillTheSamePage = true")  # the funnel must fill without a reload

    campaign.refresh_from_db()
    assert campaign.status == "running"
    errors: list = []
    rehearsal = _rehearsal(campaign, len(PERSONAS), errors)
    rehearsal.start()
    page.locator("#in-flight .badge.live").first.wait_for(timeout=60_000)
    rehearsal.join(timeout=180)
    assert not rehearsal.is_alive() and not errors

    final = {s.key: str(s.count) for s in stats.funnel(campaign)}
    assert final["dialed"] == str(len(PERSONAS)) and int(final["booked"]) >= 1
    # Every count asserted below is waited for: the page polls, and each stage can land in a different poll.
    page.wait_for_function(
        "final => Object.entries(final).every(([key, n]) => document.querySelector('#kpi-' + key)?.textContent === n)",
        arg=final,
        timeout=15_000,
    )
    assert {key: page.locator(f"#kpi-{key}").inner_text() for key in final} == final
    assert page.evaluate("window.stillTheSamePage") is True
    page.locator("#outcomes").get_by_text("Meeting booked").wait_for()
    page.locator("#in-flight").get_by_text("No calls in flight").wait_for()

    page.reload()  # the latency chart is drawn on page load
    assert page.locator("#latency polyline.p50").count() == 1
    screenshot(page, "campaign-page")
