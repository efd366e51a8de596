"""Someone guessing a manager's password in the browser is stopped after 10 tries and told when to come back."""
import pytest

from crm.roles import MANAGERS
from tests.browser.conftest import PASSWORD, log_in, screenshot

pytestmark = [pytest.mark.browser]


def _submit(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_ten_wrong_passwords_lock_the_account_and_the_page_says_when_to_try_again(page, make_user):
    make_user("morgan", MANAGERS)
    for attempt in range(9):
        _submit(page, "morgan", f"guess-{attempt}")
        page.get_by_text("Your username and password didn't match").wait_for()
    _submit(page, "morgan", "guess-9")
    page.get_by_text("Too many failed login attempts").wait_for()

    _submit(page, "morgan", PASSWORD)

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "try again in 15 minutes" in alert.inner_text()
    assert "/accounts/login/" in page.url
    screenshot(page, "login-locked-out")


def test_another_user_still_logs_in_in_the_same_browser(page, make_user):
    make_user("morgan", MANAGERS)
    make_user("riley", MANAGERS)
    for attempt in range(10):
        _submit(page, "morgan", f"guess-{attempt}")
    log_in(page, "riley")
    assert page.get_by_role("link", name="Campaigns").is_visible()
