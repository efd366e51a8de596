"""The do-not-call list through the API, and the per-token rate limit."""
import datetime as dt

import pytest
import time_machine

from api.tokens import create_token
from campaigns.models import CampaignLead
from crm.models import DoNotCall
from tests import factories
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_it_checks_a_number_in_any_format(as_manager):
    DoNotCall.objects.create(phone="+12125550143", reason="asked by email")
    body = as_manager.get("/dnc/(212) 555-0143").json()
    assert (body["phone"], body["on_list"], body["reason"]) == ("+12125550143", True, "asked by email")
    assert as_manager.get("/dnc/2125550144").json()["on_list"] is False
    assert as_manager.get("/dnc/12").status_code == 400


def test_adding_a_number_stops_its_leads_campaigns_and_keeps_the_first_entry(as_manager):
    entry = factories.hopper_entry(factories.campaign(), factories.lead("+12125550143"))
    added = as_manager.post("/dnc", {"phone": "212-555-0143", "reason": "asked by email"})
    assert added.status_code == 201
    entry.refresh_from_db()
    assert entry.state == CampaignLead.State.DO_NOT_CALL
    again = as_manager.post("/dnc", {"phone": "+12125550143", "reason": "second time"})
    assert again.status_code == 200 and again.json()["reason"] == "asked by email"


def test_a_number_no_lead_has_yet_is_listed_too(as_manager):
    assert as_manager.post("/dnc", {"phone": "+13055550100", "reason": "complaint"}).status_code == 201
    assert DoNotCall.objects.get().source == DoNotCall.Source.MANUAL


def test_a_reps_token_cannot_use_the_list(as_rep):
    assert as_rep.get("/dnc/2125550143").status_code == 403
    assert as_rep.post("/dnc", {"phone": "+12125550143", "reason": "x"}).status_code == 403


def test_a_token_over_its_limit_gets_429_with_retry_after_and_others_are_unaffected(settings, manager, admin_user):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    _, text = create_token(manager, "busy")
    busy = ApiClient(text)
    # Ten seconds into a minute, frozen: every request falls in one window.
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, 10, tzinfo=dt.UTC), tick=False):
        codes = [busy.get("/campaigns").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        refused = busy.get("/campaigns")
        assert refused["Retry-After"] == "50" and "3 requests a minute" in refused.json()["detail"]
        _, other = create_token(admin_user, "calm")
        assert ApiClient(other).get("/campaigns").status_code == 200
