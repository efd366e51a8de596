"""Managers read each campaign's progress: leads dialed, answered, in conversation and booked, of all its leads."""
import pytest

from campaigns import stats
from tests import factories

pytestmark = pytest.mark.django_db


def _campaign_with_calls(outcomes: list[str], waiting: int = 0, slug: str = "spring"):
    campaign = factories.campaign(slug, name="Spring outreach")
    for outcome in outcomes:
        factories.finished_call(factories.hopper_entry(campaign), outcome)
    for _ in range(waiting):
        factories.hopper_entry(campaign)
    return campaign


def test_the_funnel_counts_each_lead_once_per_stage():
    campaign = _campaign_with_calls(["booked", "not_interested", "voicemail", "no_answer", "busy"], waiting=5)
    # A second attempt at an already-dialed lead is not a new lead reached.
    entry = campaign.hopper.first()
    factories.finished_call(entry, "no_answer", attempt=2)
    stages = {s.key: (s.count, s.total) for s in stats.funnel(campaign)}
    assert stages == {"dialed": (5, 10), "answered": (3, 10), "conversations": (2, 10), "booked": (1, 10)}


def test_the_campaign_list_shows_progress_numbers_and_bars(client, manager):
    _campaign_with_calls(["booked", "conversation", "voicemail", "no_answer"], waiting=4)
    _campaign_with_calls([], waiting=3, slug="autumn")
    client.force_login(manager)
    page = client.get("/campaigns/").content.decode()
    rows = {chunk.split('"')[1]: chunk for chunk in page.split("data-campaign=")[1:]}
    row = rows["spring"]
    for label, count in (("Dialed", 4), ("Answered", 3), ("Conversations", 2), ("Booked", 1)):
        assert f'{label} <b class="num">{count}</b>' in row
    assert 'class="dialed" style="width:50.0%"' in row
    assert 'class="booked" style="width:12.5%"' in row
    assert "Dialed 0, Answered 0, Conversations 0, Booked 0 of 3 leads" in rows["autumn"]


def test_the_outcomes_breakdown_lists_the_most_frequent_first():
    campaign = _campaign_with_calls(["no_answer", "no_answer", "booked", "busy", "no_answer", "busy"])
    rows = [(o.label, o.count, o.percent) for o in stats.outcomes(campaign)]
    assert rows == [("No answer", 3, 50.0), ("Busy", 2, 33.3), ("Meeting booked", 1, 16.7)]


def test_the_live_panel_shows_calls_in_flight_and_the_funnel(client, manager):
    campaign = _campaign_with_calls(["booked"])
    ringing = factories.finished_call(
        factories.hopper_entry(campaign, factories.lead(first_name="Quinn")), "", status="ringing", ended_at=None
    )
    client.force_login(manager)
    page = client.get("/campaigns/spring/live/").content.decode()
    assert f'href="/calls/{ringing.pk}/"' in page and "Quinn" in page and "Ringing" in page
    assert '<b id="kpi-booked">1</b>' in page
    assert "<html" not in page  # a fragment htmx swaps in, not a whole page
    assert '<span class="badge draft" id="campaign-status" hx-swap-oob="true">Draft</span>' in page


def test_the_campaign_page_polls_the_live_panel_and_links_the_upload_and_call_log(client, manager):
    _campaign_with_calls(["booked"])
    client.force_login(manager)
    page = client.get("/campaigns/spring/").content.decode()
    assert 'hx-get="/campaigns/spring/live/"' in page and 'hx-trigger="every 2s"' in page
    assert 'href="/calls/?campaign=spring"' in page
    assert 'href="/campaigns/spring/imports/new/"' in page  # the CSV upload
    assert "/static/js/htmx.min.js" in page
