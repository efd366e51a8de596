"""A manager uploads a lead CSV from the campaign page, confirms the columns, watches the progress bar finish
and reads the report. The import runs on a real Celery worker, started once the progress bar is on screen."""
import pytest
from celery.contrib.testing.worker import start_worker

from campaigns.models import CampaignLead
from config.celery import app as celery_app
from crm.roles import MANAGERS
from tests import factories
from tests.browser.conftest import log_in, screenshot

pytestmark = [pytest.mark.browser]


@pytest.fixture
def queued_celery():
    """Tasks go to the broker instead of running inline, so the page shows the import waiting and running."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_declare("imports", durable=True, auto_delete=False)
        connection.default_channel.queue_purge("imports")  # stale messages of earlier runs
    yield celery_app
    celery_app.conf.task_always_eager = eager


def _csv(rows: int) -> bytes:
    lines = ["First name;Last name;Company;Mobile;Notes"]
    lines += [f"Lead{i};Tester;Clinic {i % 7};(201) 555-{i:04d};met at expo" for i in range(1, rows + 1)]
    lines += ["Bad;Number;Nowhere;12345;", "Dup;Licate;Clinic 1;201-555-0001;"]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def test_a_manager_uploads_a_csv_watches_the_progress_bar_finish_and_reads_the_report(page, make_user, queued_celery):
    make_user("morgan", MANAGERS, first_name="Morgan", last_name="Manager")
    campaign = factories.campaign("dental", name="Dental clinics")

    log_in(page, "morgan")
    page.get_by_role("link", name="Dental clinics").click()
    page.get_by_role("link", name="Upload leads (CSV)").click()
    upload = {"name": "clinics.csv", "mimeType": "text/csv", "buffer": _csv(300)}
    page.set_input_files("input[type=file]", files=[upload])
    page.get_by_role("button", name="Upload and check columns").click()
    page.get_by_role("button", name="Start import").click()

    progress = page.locator("#import-progress")
    progress.wait_for()
    assert page.locator("#import-bar").get_attribute("value") == "0"

    with start_worker(queued_celery, pool="solo", perform_ping_check=False, queues=["imports"], shutdown_timeout=30):
        page.locator("#import-report").wait_for(timeout=60_000)

    kpis = [page.locator("#import-report .kpi").nth(i) for i in range(page.locator("#import-report .kpi").count())]
    report = {kpi.locator("span").inner_text(): kpi.locator("b").inner_text() for kpi in kpis}
    assert report["rows in the file"] == "302"
    assert report["imported"] == "300"
    assert report["duplicates skipped"] == "1"
    assert report["invalid rows"] == "1"
    assert "12345" in page.locator("table.plain").inner_text()
    assert CampaignLead.objects.filter(campaign=campaign).count() == 300
    screenshot(page, "import-report")
