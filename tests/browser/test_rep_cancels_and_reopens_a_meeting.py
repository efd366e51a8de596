"""A rep cancels a meeting through the confirmation, sees what it did, and reopens it."""
import pytest

from crm.models import Meeting
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


def test_a_rep_cancels_a_meeting_through_the_confirmation_and_reopens_it(page):
    rep = factories.rep("riley")
    lead = factories.lead(first_name="Pat", last_name="Lee", company="Globex")
    meeting = factories.meeting(rep, lead_=lead)

    log_in(page, "riley")
    page.get_by_role("link", name="Pat Lee").click()
    page.get_by_role("link", name="Cancel meeting").click()
    page.wait_for_url(f"**/meetings/{meeting.pk}/cancel/")
    assert "You can reopen it" in page.locator("main").inner_text()
    screenshot(page, "meeting-cancel-confirmation")
    page.get_by_role("button", name="Cancel meeting").click()

    page.wait_for_url(f"**/meetings/{meeting.pk}/")
    assert page.locator("#meeting-status").inner_text() == "Canceled"
    page.get_by_role("button", name="Reopen meeting").click()
    page.locator("#meeting-status", has_text="Booked").wait_for()
    assert "Meeting reopened" in page.locator(".messages").inner_text()
    assert Meeting.objects.get(pk=meeting.pk).status == "booked"
