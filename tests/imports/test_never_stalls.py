"""An import never 500s and never stalls: oversize fields, a broker outage, a huge upload, a long error list and
old uploads all have a defined outcome."""
import datetime as dt
import os
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from campaigns import imports, tasks
from campaigns.csv_reading import UnreadableFile
from campaigns.import_housekeeping import delete_old_uploads, requeue_stalled_imports
from campaigns.models import ImportRowError, LeadImport
from campaigns.upload_limits import UploadLimit
from crm.models import Lead
from crm.roles import MANAGERS

BIG = 10 * 1024 * 1024 + 1


@pytest.fixture
def manager_client(client, make_user):
    client.force_login(make_user("morgan", MANAGERS))
    return client


def test_a_field_over_the_limit_in_the_first_rows_refuses_the_file_naming_the_line(campaign):
    data = b"Name,Phone\nAda,2015550100\n" + b"x" * BIG + b",2015550101\n"

    with pytest.raises(UnreadableFile) as refused:
        imports.start_import(campaign, data, "leads.csv")

    assert "line 3" in str(refused.value)
    assert "longer than 10 MB" in str(refused.value)


def test_a_field_over_the_limit_further_down_fails_the_import_with_a_sentence(campaign):
    rows = "".join(f"P{i},2015550{i:03d}\n" for i in range(300))
    data = ("Name,Phone\n" + rows).encode() + b'"' + b"x" * BIG + b'",2015559999\n'
    started = imports.start_import(campaign, data, "leads.csv")

    result = imports.run_import(started.pk)

    assert result.status == LeadImport.Status.FAILED
    assert "line 302" in result.failure and "longer than 10 MB" in result.failure


def test_a_long_cell_is_a_row_error_with_the_value_shortened(import_csv):
    result = import_csv("Phone,Notes\n2015550102," + "n" * 20000 + "\n2015550103,ok\n")

    assert (result.imported, result.invalid) == (1, 1)
    error = result.errors[0]
    assert (error["line"], error["column"], error["reason"]) == (2, "Notes", "longer than 10000 characters")
    assert len(error["value"]) <= 201


def test_a_broker_outage_when_queuing_leaves_the_import_queued_and_the_sweep_runs_it(
    campaign, django_capture_on_commit_callbacks
):
    started = imports.start_import(campaign, b"Phone\n2015550104\n", "leads.csv")
    with mock.patch.object(tasks.run_import, "apply_async", side_effect=BrokerDown("connection refused")) as send:
        with django_capture_on_commit_callbacks(execute=True):
            imports.queue(started, started.mapping)  # does not raise

    assert send.call_count == 1
    started.refresh_from_db()
    assert started.status == LeadImport.Status.QUEUED
    assert requeue_stalled_imports(older_than=dt.timedelta(minutes=5)) == []  # queued just now: left to the broker

    LeadImport.objects.filter(pk=started.pk).update(queued_at=timezone.now() - dt.timedelta(minutes=6))
    with mock.patch.object(tasks.run_import, "apply_async", side_effect=lambda args, **kw: tasks.run_import(*args)):
        assert requeue_stalled_imports(older_than=dt.timedelta(minutes=5)) == [started.pk]

    started.refresh_from_db()
    assert (started.status, started.imported) == (LeadImport.Status.DONE, 1)


def test_queuing_asks_the_broker_with_a_bounded_retry(campaign, django_capture_on_commit_callbacks):
    started = imports.start_import(campaign, b"Phone\n2015550105\n", "leads.csv")
    with mock.patch.object(tasks.run_import, "apply_async") as send:
        with django_capture_on_commit_callbacks(execute=True):
            imports.queue(started, started.mapping)

    kwargs = send.call_args.kwargs
    assert kwargs["retry"] is True and kwargs["retry_policy"]["max_retries"] >= 1
    started.refresh_from_db()
    assert started.queued_at is not None


def test_the_upload_limit_stops_reading_at_the_limit():
    limit = UploadLimit(request=None, limit_bytes=1000)
    limit.new_file("file", "big.csv", "text/csv", None)

    assert limit.receive_data_chunk(b"x" * 600, 0) == b"x" * 600
    with pytest.raises(Exception) as stopped:
        limit.receive_data_chunk(b"x" * 600, 600)

    assert type(stopped.value).__name__ == "StopUpload" and stopped.value.connection_reset
    assert limit.too_large


@pytest.mark.parametrize("lines", [200, 3000], ids=["stopped-while-receiving", "refused-by-its-length"])
def test_an_upload_over_the_limit_is_refused_with_a_sentence(manager_client, campaign, settings, lines):
    settings.IMPORT_MAX_UPLOAD_MB = 0.001  # about 1 KB
    body = b"Phone\n" + b"2015550106\n" * lines

    response = manager_client.post(
        reverse("lead_import_upload", kwargs={"slug": campaign.slug}),
        {"file": SimpleUploadedFile("big.csv", body, "text/csv")},
    )

    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_the_upload_still_checks_the_csrf_token(campaign, make_user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(make_user("morgan", MANAGERS))
    upload_url = reverse("lead_import_upload", kwargs={"slug": campaign.slug})
    browser.get(upload_url)
    token = browser.cookies["csrftoken"].value
    file = SimpleUploadedFile("leads.csv", b"Phone\n2015550111\n", "text/csv")

    assert browser.post(upload_url, {"file": file}).status_code == 403
    file.seek(0)
    accepted = browser.post(upload_url, {"csrfmiddlewaretoken": token, "file": file})
    assert accepted.status_code == 302
    assert LeadImport.objects.count() == 1


def test_the_progress_poll_does_not_read_the_errors(manager_client, campaign):
    started = imports.start_import(campaign, b"Phone\n2015550107\n", "leads.csv")
    LeadImport.objects.filter(pk=started.pk).update(status="running")
    ImportRowError.objects.bulk_create(
        ImportRowError(lead_import=started, line=i, column="Phone", value="x", reason="r") for i in range(2, 52)
    )
    url = reverse("lead_import_progress", kwargs={"slug": campaign.slug, "pk": started.pk})

    with CaptureQueriesContext(connection) as queries:
        progress = manager_client.get(url).json()

    assert progress["status"] == "running"
    assert progress["done"] == 0
    assert any("campaigns_leadimport" in q["sql"] for q in queries)
    assert not any("campaigns_importrowerror" in q["sql"] for q in queries)


def test_uploads_older_than_the_setting_are_deleted(campaign, settings):
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 7
    old_done = imports.start_import(campaign, b"Phone\n2015550108\n", "old.csv")
    imports.run_import(old_done.pk)
    old_unconfirmed = imports.start_import(campaign, b"Phone\n2015550109\n", "abandoned.csv")
    fresh = imports.start_import(campaign, b"Phone\n2015550110\n", "fresh.csv")
    LeadImport.objects.exclude(pk=fresh.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    paths = {i.pk: i.file.path for i in LeadImport.objects.all()}

    deleted = delete_old_uploads()

    assert sorted(deleted) == sorted([old_done.pk, old_unconfirmed.pk])
    assert not os.path.exists(paths[old_done.pk]) and not os.path.exists(paths[old_unconfirmed.pk])
    assert os.path.exists(paths[fresh.pk])
    old_done.refresh_from_db()
    old_unconfirmed.refresh_from_db()
    assert (old_done.status, old_done.imported, old_done.file.name) == ("done", 1, "")
    assert old_unconfirmed.status == LeadImport.Status.FAILED
    assert "expired" in old_unconfirmed.failure
    assert Lead.objects.count() == 1
