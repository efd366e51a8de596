"""A manager finds a lead by part of its phone number and puts it on the do-not-call list."""
import pytest

from campaigns.models import CampaignLead
from crm.models import DoNotCall
from crm.roles import MANAGERS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


def test_a_manager_finds_a_lead_by_part_of_its_number_and_adds_it_to_dnc(page, make_user):
    make_user("morgan", MANAGERS, first_name="Morgan")
    campaign = factories.campaign("spring", name="Spring outreach")
    pat = factories.lead("+13125559876", first_name="Pat", last_name="Lee", company="Globex")
    factories.hopper_entry(campaign, pat)
    factories.hopper_entry(campaign, factories.lead("+12015550123", first_name="Quinn", last_name="Doe"))

    log_in(page, "morgan")
    page.get_by_role("link", name="Leads").click()
    page.get_by_label("Search").fill("555-98")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Pat Lee").wait_for()
    assert page.get_by_role("link", name="Quinn Doe").count() == 0
    page.get_by_role("link", name="Pat Lee").click()

    page.get_by_label("Reason").fill("Asked by email")
    page.get_by_role("button", name="Add to do-not-call").click()
    page.locator("#dnc-badge").wait_for()
    assert "Asked by email" in page.locator("#dnc").inner_text()
    assert "Do not call" in page.locator("#campaigns").inner_text()
    assert DoNotCall.objects.get(phone="+13125559876").source == "manual"
    assert CampaignLead.objects.get(lead=pat).state == "do_not_call"
    screenshot(page, "lead-on-dnc")
