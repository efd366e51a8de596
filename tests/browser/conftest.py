"""Browser tests: Debian's Chromium driven by Playwright against the whole ASGI app served by uvicorn."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests.browser.server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"
PASSWORD = "pw-for-tests"


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def browser(django_db_serialized_rollback, transactional_db, monkeypatch):
    """One Chromium per test, on a committed database (the server thread must see the test's rows); the
    serialized rollback puts back the migrations' rows (the role groups) for the tests that follow.

    Playwright's sync API keeps an event loop open in this thread, which Django would take for async code;
    the test's own ORM calls are plain sync code, so they are allowed for its span (and only its span)."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        connections.close_all()  # the test's own connection, opened while Playwright's loop was current


@pytest.fixture
def live_app(browser, media_root):
    with LiveServer() as server:
        yield server


@pytest.fixture
def served_app(browser, media_root, settings, eager_celery):
    """The web process as `make serve` runs it with no broker: lifespan on, so the dialer's tick and sweeper run
    in-process (dialer/inprocess.py) and tasks run inline; simulated calls call back to this server."""
    settings.DIALER_INPROCESS = "on"
    settings.TELEPHONY = "sim"
    settings.SIM_TELEPHONY_CALLBACKS = "http"
    server = LiveServer(lifespan=True)
    settings.PUBLIC_BASE_URL = server.url
    with server:
        yield server


@pytest.fixture
def page(browser, request):
    """A tab on the test's server: `served_app` when the test asks for it, else the plain `live_app`."""
    app = request.getfixturevalue("served_app" if "served_app" in request.fixturenames else "live_app")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=app.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
