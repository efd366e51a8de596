"""An admin edits a script in the browser, sees version 2, compares it with version 1 and publishes it after
the confirmation."""
import pytest

from crm.roles import ADMINS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


def test_an_admin_edits_a_script_and_sees_version_2(page, make_user):
    make_user("alex", ADMINS, first_name="Alex", last_name="Admin")
    script = factories.script("outreach")
    script.name = "Dental outreach"
    script.save()

    log_in(page, "alex")
    page.get_by_role("link", name="Scripts").click()
    page.get_by_role("link", name="Dental outreach").click()
    assert page.locator("#current-version").inner_text() == "version 1"

    page.fill("#id_instructions", "Book a meeting.\nBe warm and brief; never pretend to be human.")
    page.fill("#id_qualification_questions", "team_size: How many dentists work at your clinic?")
    page.get_by_role("button", name="Save as new version").click()

    page.get_by_text("Version 2 saved (not published).").wait_for()
    assert page.locator("#current-version").inner_text() == "version 2"
    assert page.input_value("#id_qualification_questions") == "team_size: How many dentists work at your clinic?"
    versions = page.locator(".versions li")
    assert versions.count() == 2

    page.get_by_role("link", name="Diff").first.click()
    assert page.locator(".diff .added").first.inner_text() == "Be warm and brief; never pretend to be human."
    page.go_back()
    versions.first.get_by_role("link", name="Publish…").click()
    assert "No running or paused campaign follows" in page.locator("#switching").inner_text()
    page.get_by_role("button", name="Publish version 2").click()
    page.get_by_text("Version 2 is now published").wait_for()
    script.refresh_from_db()
    assert script.published_version.number == 2
    assert script.versions.get(number=1).instructions == "Book a meeting."

    screenshot(page, "script-editor")
