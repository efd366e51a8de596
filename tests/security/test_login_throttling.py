"""Guessing passwords stops after 10 failures for one account: the right password is then refused for a while."""
from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests"


def _log_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _fail(client, username: str, times: int) -> list[int]:
    return [_log_in(client, username, f"wrong-{i}").status_code for i in range(times)]


def test_ten_failures_then_the_right_password_is_refused_with_when_to_try_again(client, make_user):
    make_user("morgan")
    statuses = _fail(client, "morgan", 10)
    assert statuses[:9] == [200] * 9  # the login form again, with its error

    response = _log_in(client, "morgan", PASSWORD)

    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    page = response.content.decode()
    assert "Too many failed login attempts" in page
    assert "try again in 15 minutes" in page
    assert "<nav" in page or "Parley" in page  # the site's own layout, not a bare error


def test_nine_failures_do_not_lock_and_the_right_password_still_works(client, make_user):
    make_user("morgan")
    _fail(client, "morgan", 9)
    response = _log_in(client, "morgan", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY]


def test_a_locked_account_does_not_lock_out_another_user(client, make_user):
    make_user("morgan")
    make_user("riley")
    _fail(client, "morgan", 10)
    response = _log_in(client, "riley", PASSWORD)
    assert response.status_code == 302


def test_the_lock_lifts_after_the_cool_off(client, make_user, time_machine):
    make_user("morgan")
    time_machine.move_to("2026-01-05 10:00Z", tick=False)
    _fail(client, "morgan", 10)
    assert _log_in(client, "morgan", PASSWORD).status_code == 429
    time_machine.move_to("2026-01-05 10:16Z", tick=False)
    assert _log_in(client, "morgan", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    for i in range(10):
        client.post("/admin/login/", {"username": "root", "password": f"wrong-{i}"})
    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
