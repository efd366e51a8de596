"""Leads through the API: the importer's normalisation and DNC rules, read, update, do-not-call on and off."""
import pytest

from campaigns.models import CampaignLead, LeadImport
from crm.models import DoNotCall, Lead
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_creates_a_lead_with_its_number_in_e164_and_its_zone_from_the_number(as_manager):
    response = as_manager.post("/leads", {"phone": "(212) 555-0143", "full_name": "Ada Lovelace", "company": "AE"})
    assert response.status_code == 201, response.content
    lead = response.json()["lead"]
    assert lead["phone"] == "+12125550143"
    assert (lead["first_name"], lead["last_name"]) == ("Ada", "Lovelace")
    assert lead["timezone"] == "America/New_York"
    assert response.json()["result"]["status"] == "created"


def test_an_invalid_number_is_refused_with_the_importers_reason_and_nothing_is_created(as_manager):
    response = as_manager.post("/leads", {"phone": "1.41555E+10", "first_name": "Sci"})
    assert response.status_code == 400
    error = response.json()["result"]["error"]
    assert error["field"] == "phone" and "Excel turned this number" in error["reason"]
    assert not Lead.objects.exists()


def test_a_known_number_returns_the_existing_lead_unchanged(as_manager):
    factories.lead("+12125550143", first_name="Original")
    response = as_manager.post("/leads", {"phone": "212-555-0143", "first_name": "Other"})
    assert response.status_code == 200
    assert response.json()["result"]["status"] == "existing"
    assert Lead.objects.get().first_name == "Original"


def test_a_batch_reports_each_lead_and_invalid_ones_do_not_stop_the_rest(as_manager):
    response = as_manager.post(
        "/leads/batch",
        {"leads": [
            {"phone": "+1 212 555 0101", "first_name": "A", "attributes": {"persona": "busy"}},
            {"phone": "12", "first_name": "B"},
            {"phone": "212.555.0101", "first_name": "A again"},
            {"phone": "+1 212 555 0102", "email": "not an email"},
            {"phone": "+1 212 555 0103", "timezone": "Mars/Olympus"},
        ]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["invalid"]) == (1, 4)
    reasons = [r["error"]["reason"] if r["error"] else None for r in body["results"]]
    assert reasons[0] is None
    assert "too short" in reasons[1]
    assert "duplicate of lead 0" in reasons[2]
    assert reasons[3] == "invalid email address"
    assert "unknown timezone" in reasons[4]
    assert Lead.objects.get().attributes == {"persona": "busy"}


def test_a_batch_into_a_campaign_parks_numbers_on_the_dnc_list_and_marked_leads(as_manager):
    campaign = factories.campaign("spring")
    DoNotCall.objects.create(phone="+12125550111", reason="asked")
    response = as_manager.post(
        "/leads/batch",
        {"campaign": "spring", "leads": [
            {"phone": "+12125550110"},
            {"phone": "+12125550111"},
            {"phone": "+12125550112", "do_not_call": True},
            {"phone": "+12125550113", "consent_source": "revoked"},
        ]},
    )
    results = response.json()["results"]
    assert [r["do_not_call"] for r in results] == [False, True, True, True]
    assert all(r["enrolled"] for r in results)
    states = dict(CampaignLead.objects.filter(campaign=campaign).values_list("lead__phone", "state"))
    assert list(states.values()).count(CampaignLead.State.DO_NOT_CALL) == 3
    batch = LeadImport.objects.get(campaign=campaign)
    assert batch.original_name == "API: 4 leads" and batch.imported == 4 and batch.dnc == 3


def test_a_lead_marked_do_not_call_without_a_campaign_goes_on_the_list(as_manager):
    as_manager.post("/leads", {"phone": "+12125550120", "do_not_call": True})
    assert DoNotCall.objects.filter(phone="+12125550120").exists()


def test_an_unknown_campaign_is_404_and_creates_nothing(as_manager):
    response = as_manager.post("/leads", {"phone": "+12125550120", "campaign": "nope"})
    assert response.status_code == 404 and "nope" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_it_lists_searches_and_reads_leads(as_manager):
    campaign = factories.campaign("spring")
    ada = factories.lead("+12125550143", first_name="Ada", last_name="Lovelace")
    factories.lead("+13055550100", first_name="Bob")
    factories.hopper_entry(campaign, ada)
    listed = as_manager.get("/leads", q="lovelace").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == ada.pk
    assert as_manager.get("/leads", q="555014").json()["count"] == 1
    assert as_manager.get("/leads", campaign="spring").json()["count"] == 1
    read = as_manager.get(f"/leads/{ada.pk}").json()
    assert read["campaigns"] == [
        {"campaign": "spring", "state": "pending", "attempts": 0, "next_attempt_at": None, "last_outcome": ""}
    ]
    assert as_manager.get("/leads/999999").status_code == 404


def test_pages_hold_at_most_limit_and_say_where_the_next_starts(as_manager):
    for i in range(5):
        factories.lead(f"+1212555016{i}")
    first = as_manager.get("/leads", limit=2).json()
    assert (first["count"], len(first["items"]), first["next_offset"]) == (5, 2, 2)
    last = as_manager.get("/leads", limit=2, offset=4).json()
    assert len(last["items"]) == 1 and last["next_offset"] is None


def test_it_updates_a_lead_and_refuses_a_bad_zone(as_manager):
    lead = factories.lead("+12125550143", first_name="Ada")
    response = as_manager.patch(f"/leads/{lead.pk}", {"company": "Analytical", "attributes": {"tier": "gold"}})
    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.first_name, lead.company, lead.attributes) == ("Ada", "Analytical", {"tier": "gold"})
    bad = as_manager.patch(f"/leads/{lead.pk}", {"timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Mars/Olympus" in bad.json()["detail"]


def test_a_manager_puts_a_lead_on_dnc_and_only_an_admin_takes_it_off(as_manager, as_admin):
    campaign = factories.campaign()
    lead = factories.lead("+12125550143")
    entry = factories.hopper_entry(campaign, lead)
    assert as_manager.post(f"/leads/{lead.pk}/dnc", {"reason": "asked by email"}).json()["do_not_call"] is True
    entry.refresh_from_db()
    assert entry.state == CampaignLead.State.DO_NOT_CALL
    assert as_manager.delete(f"/leads/{lead.pk}/dnc", reason="oops").status_code == 403
    response = as_admin.delete(f"/leads/{lead.pk}/dnc", reason="consent in writing")
    assert response.status_code == 200 and response.json()["do_not_call"] is False
    entry.refresh_from_db()
    assert entry.state == CampaignLead.State.PENDING


def test_a_reps_token_cannot_touch_leads(as_rep):
    assert as_rep.get("/leads").status_code == 403
    assert as_rep.post("/leads", {"phone": "+12125550143"}).status_code == 403
    assert not Lead.objects.exists()
