"""Campaigns through the API: list, numbers, enroll, start / pause / resume / stop."""
import pytest

from campaigns.models import Campaign, CampaignLead
from crm.models import DoNotCall
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_campaigns_and_filters_by_status(as_manager):
    factories.campaign("spring")
    factories.campaign("fall", status=Campaign.Status.RUNNING)
    assert as_manager.get("/campaigns").json()["count"] == 2
    running = as_manager.get("/campaigns", status="running").json()["items"]
    assert [c["slug"] for c in running] == ["fall"]


def test_stats_count_the_funnel_outcomes_and_hopper(as_manager):
    campaign = factories.campaign("spring")
    booked = factories.hopper_entry(campaign, state=CampaignLead.State.DONE)
    factories.finished_call(booked, "booked")
    factories.hopper_entry(campaign)
    body = as_manager.get("/campaigns/spring").json()
    assert body["funnel"] == {"total_leads": 2, "dialed": 1, "answered": 1, "conversations": 1, "booked": 1}
    assert body["outcomes"] == {"booked": 1}
    assert body["hopper"] == {"done": 1, "pending": 1}
    assert body["calls_in_flight"] == 0


def test_enrolling_parks_numbers_on_the_dnc_list_and_leaves_enrolled_leads_alone(as_manager):
    campaign = factories.campaign("spring")
    fresh, listed, inside = factories.lead(), factories.lead(), factories.lead()
    DoNotCall.objects.create(phone=listed.phone)
    factories.hopper_entry(campaign, inside, attempts=2, state=CampaignLead.State.RETRY)
    body = as_manager.post("/campaigns/spring/enroll", {"lead_ids": [fresh.pk, listed.pk, inside.pk]}).json()
    assert (body["enrolled"], body["already_in_campaign"], body["do_not_call"]) == (2, 1, 1)
    states = dict(CampaignLead.objects.filter(campaign=campaign).values_list("lead_id", "state"))
    assert states == {fresh.pk: "pending", listed.pk: "do_not_call", inside.pk: "retry"}


def test_enrolling_an_unknown_lead_enrolls_nobody(as_manager):
    factories.campaign("spring")
    lead = factories.lead()
    response = as_manager.post("/campaigns/spring/enroll", {"lead_ids": [lead.pk, 987654]})
    assert response.status_code == 404 and "987654" in response.json()["detail"]
    assert not CampaignLead.objects.exists()


def test_start_pause_resume_stop_follow_the_campaign_rules(as_manager):
    campaign = factories.campaign("spring")
    started = as_manager.post("/campaigns/spring/start")
    assert started.status_code == 200 and started.json()["campaign"]["status"] == "running"
    assert "no leads" in started.json()["warning"]
    assert as_manager.post("/campaigns/spring/resume").status_code == 409
    assert as_manager.post("/campaigns/spring/pause").json()["campaign"]["status"] == "paused"
    assert as_manager.post("/campaigns/spring/resume").json()["campaign"]["status"] == "running"
    assert as_manager.post("/campaigns/spring/stop").json()["campaign"]["status"] == "stopped"
    refused = as_manager.post("/campaigns/spring/pause")
    assert refused.status_code == 409 and "stopped" in refused.json()["detail"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.STOPPED


def test_a_reps_token_cannot_control_campaigns(as_rep):
    campaign = factories.campaign("spring")
    assert as_rep.post("/campaigns/spring/start").status_code == 403
    assert as_rep.get("/campaigns").status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
