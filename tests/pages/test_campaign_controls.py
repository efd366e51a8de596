"""Managers start, pause, resume and stop a campaign from its page; each button is a CSRF-protected POST."""
import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return factories.campaign("spring")


def _press(client, action):
    return client.post(f"/campaigns/spring/control/{action}/", follow=True)


def test_a_manager_runs_a_campaign_through_its_states(client, manager, campaign):
    client.force_login(manager)
    assert 'action="/campaigns/spring/control/start/"' in client.get("/campaigns/spring/").content.decode()
    for action, status in (("start", "running"), ("pause", "paused"), ("resume", "running"), ("stop", "stopped")):
        page = _press(client, action).content.decode()
        campaign.refresh_from_db()
        assert campaign.status == status
        assert f"Test campaign is now {status}." in page


def test_a_running_campaign_offers_pause_and_stop_but_not_start(client, manager, campaign):
    client.force_login(manager)
    _press(client, "start")
    page = client.get("/campaigns/spring/").content.decode()
    assert "/control/pause/" in page and "/control/stop/" in page and "/control/start/" not in page


def test_an_impossible_change_is_explained_and_changes_nothing(client, manager, campaign):
    client.force_login(manager)
    page = _press(client, "pause").content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert "Cannot pause a campaign that is draft." in page


def test_an_unknown_action_is_not_found(client, manager, campaign):
    client.force_login(manager)
    assert client.post("/campaigns/spring/control/explode/").status_code == 404


def test_a_post_without_the_csrf_token_is_refused(manager, campaign):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post("/campaigns/spring/control/start/").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == "draft"
