"""Managers create and edit a campaign: script, caller id, window, days, caps, retry rules and reps."""
import datetime as dt

import pytest

from campaigns.models import Campaign
from tests import factories

pytestmark = pytest.mark.django_db


def _form(script, rep, **overrides):
    data = {
        "name": "Dental clinics Q1",
        "slug": "dental-q1",
        "script": script.pk,
        "caller_id": "+1 415 555 0100",
        "default_region": "US",
        "default_timezone": "America/Chicago",
        "calling_days": ["0", "2", "4"],
        "window_start": "10:00",
        "window_end": "18:30",
        "max_concurrency": "8",
        "calls_per_second": "2.5",
        "max_attempts": "4",
        "ring_timeout_seconds": "20",
        "max_call_seconds": "480",
        "voicemail_policy": "hang_up",
        "reps": [rep.pk],
        "retry_no_answer": "120",
        "retry_busy": "10",
        "retry_voicemail": "1440",
        "retry_failed": "60",
        "retry_callback": "1440",
        "retry_hung_up": "2880",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_a_campaign(client, manager, rep):
    script = factories.script()
    client.force_login(manager)
    response = client.post("/campaigns/new/", _form(script, rep))
    assert response.status_code == 302 and response["Location"] == "/campaigns/dental-q1/"
    campaign = Campaign.objects.get(slug="dental-q1")
    assert campaign.caller_id == "+14155550100"
    assert campaign.calling_days == [0, 2, 4]
    assert (campaign.window_start, campaign.window_end) == (dt.time(10), dt.time(18, 30))
    assert campaign.retry_rules["no_answer"] == 7200 and campaign.retry_rules["busy"] == 600
    assert list(campaign.reps.all()) == [rep]
    assert campaign.created_by == manager and campaign.status == "draft"


def test_a_window_that_ends_before_it_starts_is_refused(client, manager, rep):
    script = factories.script()
    client.force_login(manager)
    response = client.post("/campaigns/new/", _form(script, rep, window_start="19:00", window_end="09:00"))
    assert response.status_code == 200
    assert "The calling window must end after it starts." in response.content.decode()
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("caller_id", "555-0100", "Enter the caller id in international format"),
        ("default_timezone", "Mars/Olympus", "is not a time zone name"),
    ],
)
def test_bad_settings_get_a_clear_error(client, manager, rep, field, value, message):
    client.force_login(manager)
    response = client.post("/campaigns/new/", _form(factories.script(), rep, **{field: value}))
    assert message in response.content.decode()
    assert not Campaign.objects.exists()


def test_editing_shows_current_retry_rules_in_minutes_and_saves_changes(client, manager, rep):
    campaign = factories.campaign("spring")
    client.force_login(manager)
    page = client.get("/campaigns/spring/edit/").content.decode()
    assert 'name="retry_no_answer" value="240"' in page
    data = _form(campaign.script, rep, slug="spring", name="Spring, renamed", retry_busy="30")
    assert client.post("/campaigns/spring/edit/", data).status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Spring, renamed" and campaign.retry_rules["busy"] == 1800
