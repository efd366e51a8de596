"""Managers find a lead (name, part of the phone number, company; by campaign, state, do-not-call), see why it
waits, edit it and put it on the do-not-call list; only Admins take it off again."""
import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import CampaignLead
from crm.models import DoNotCall, Lead
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    spring = factories.campaign("spring", name="Spring outreach")
    autumn = factories.campaign("autumn", name="Autumn push")
    pat = factories.lead("+12015550123", first_name="Pat", last_name="Lee", company="Globex")
    quinn = factories.lead("+13125559876", first_name="Quinn", last_name="Doe", company="Initech")
    later = timezone.now() + dt.timedelta(hours=3)
    factories.hopper_entry(spring, pat, state="retry", attempts=1, next_attempt_at=later)
    factories.hopper_entry(autumn, quinn, state="done", attempts=1, last_outcome="booked")
    return {"pat": pat, "quinn": quinn, "spring": spring}


def _names(client, query: str) -> str:
    return client.get(f"/leads/?{query}").content.decode()


@pytest.mark.parametrize(
    ("query", "found", "hidden"),
    [
        ("q=pat", "Pat Lee", "Quinn Doe"),
        ("q=Pat+Lee", "Pat Lee", "Quinn Doe"),
        ("q=initech", "Quinn Doe", "Pat Lee"),
        ("q=5550123", "Pat Lee", "Quinn Doe"),
        ("q=(312)+555-98", "Quinn Doe", "Pat Lee"),
        ("campaign=spring", "Pat Lee", "Quinn Doe"),
        ("state=done", "Quinn Doe", "Pat Lee"),
    ],
)
def test_a_manager_finds_leads(client, manager, world, query, found, hidden):
    client.force_login(manager)
    page = _names(client, query)
    assert found in page and hidden not in page


def test_the_dnc_filter(client, manager, world):
    DoNotCall.objects.create(phone="+13125559876", reason="Asked by email")
    client.force_login(manager)
    assert "Quinn Doe" in _names(client, "dnc=yes") and "Pat Lee" not in _names(client, "dnc=yes")
    assert "Pat Lee" in _names(client, "dnc=no") and "Quinn Doe" not in _names(client, "dnc=no")


def test_the_lead_page_shows_calls_hopper_state_and_next_attempt(client, manager, world):
    entry = CampaignLead.objects.get(lead=world["pat"])
    factories.finished_call(entry, "no_answer")
    client.force_login(manager)
    page = client.get(f"/leads/{world['pat'].pk}/").content.decode()
    assert "Spring outreach" in page and "Waiting to retry" in page and "1 of 3 attempts" in page
    assert "Next attempt" in page and "No answer" in page
    assert 'id="calls"' in page and "/calls/" in page


def test_the_lead_page_says_when_a_due_lead_waits_for_its_window(client, manager, world):
    import zoneinfo

    now = timezone.now()
    # A zone where it is now 02:00–03:00, outside any legal window.
    zone = next(
        z for z in sorted(zoneinfo.available_timezones())
        if "/" in z and now.astimezone(zoneinfo.ZoneInfo(z)).hour == 2
    )
    Lead.objects.filter(pk=world["pat"].pk).update(timezone=zone)
    CampaignLead.objects.filter(lead=world["pat"]).update(state="pending", next_attempt_at=None)
    world["spring"].status = "running"
    world["spring"].save()
    client.force_login(manager)
    page = client.get(f"/leads/{world['pat'].pk}/").content.decode()
    assert "Waits for the calling window: it is" in page and f"in {zone}" in page and "09:00–20:00 their time" in page


def test_a_manager_edits_a_lead(client, manager, world):
    client.force_login(manager)
    data = {"first_name": "Patricia", "last_name": "Lee", "company": "Globex", "email": "p@globex.example",
            "timezone": "America/Chicago"}
    client.post(f"/leads/{world['pat'].pk}/", data)
    lead = Lead.objects.get(pk=world["pat"].pk)
    assert (lead.first_name, lead.email, lead.timezone) == ("Patricia", "p@globex.example", "America/Chicago")
    data["timezone"] = "Mars/Olympus"
    page = client.post(f"/leads/{world['pat'].pk}/", data).content.decode()
    assert "is not a time zone name" in page
    assert Lead.objects.get(pk=world["pat"].pk).timezone == "America/Chicago"


def test_a_manager_adds_a_lead_to_dnc_with_a_reason_and_it_is_not_dialed(client, manager, world):
    client.force_login(manager)
    page = client.post(f"/leads/{world['pat'].pk}/dnc/add/", {"reason": "Asked by email"}, follow=True)
    entry = DoNotCall.objects.get(phone="+12015550123")
    assert entry.reason == "Asked by email" and entry.source == "manual"
    assert CampaignLead.objects.get(lead=world["pat"]).state == "do_not_call"
    assert "on the do-not-call list" in page.content.decode()


def test_a_reason_is_required(client, manager, world):
    client.force_login(manager)
    page = client.post(f"/leads/{world['pat'].pk}/dnc/add/", {"reason": " "}, follow=True).content.decode()
    assert "Say why" in page and not DoNotCall.objects.exists()


def test_only_an_admin_takes_a_lead_off_the_dnc_list(client, manager, admin_user, world):
    DoNotCall.objects.create(phone="+12015550123", reason="Asked by email")
    CampaignLead.objects.filter(lead=world["pat"]).update(state="do_not_call")
    client.force_login(manager)
    page = client.get(f"/leads/{world['pat'].pk}/").content.decode()
    assert "/dnc/remove/" not in page and "Only an Admin can take a number off" in page
    assert client.post(f"/leads/{world['pat'].pk}/dnc/remove/").status_code == 403
    assert DoNotCall.objects.exists()

    client.force_login(admin_user)
    page = client.post(f"/leads/{world['pat'].pk}/dnc/remove/", {"remove-reason": ""}).content.decode()
    assert "Say why the number comes off the list" in page and DoNotCall.objects.exists()
    client.post(f"/leads/{world['pat'].pk}/dnc/remove/", {"remove-reason": "Consent given again"})
    assert not DoNotCall.objects.exists()
    assert CampaignLead.objects.get(lead=world["pat"]).state == "retry"


def test_reps_cannot_see_leads(client, rep, world):
    client.force_login(rep.user)
    assert client.get("/leads/").status_code == 403
    assert client.get(f"/leads/{world['pat'].pk}/").status_code == 403


def test_the_call_log_searches_by_name_or_phone(client, manager, world):
    factories.finished_call(CampaignLead.objects.get(lead=world["pat"]), "no_answer")
    factories.finished_call(CampaignLead.objects.get(lead=world["quinn"]), "booked")
    client.force_login(manager)
    page = client.get("/calls/?q=quinn").content.decode()
    assert "Quinn Doe" in page and "Pat Lee" not in page
    page = client.get("/calls/?q=555-0123").content.decode()
    assert "Pat Lee" in page and "Quinn Doe" not in page
