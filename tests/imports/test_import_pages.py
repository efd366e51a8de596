"""The manager's path through an import on the web: upload, confirm columns, watch progress, read the report."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import CampaignLead, LeadImport
from crm.models import Lead
from crm.roles import MANAGERS
from tests import factories

CRM_EXPORT = (
    "\ufeffFull Name;Mobile Phone;E-mail;Internal Ref;Notes\r\n"
    "Ada Lovelace;(201) 555-0180;ada@example.com;A-1;=SUM(1+2)\r\n"
    'Bob Smith;=HYPERLINK("http://evil.example/","click");;B-2;\r\n'
    "\r\n"
    "Ada Again;+1 201 555 0180;;A-1b;\r\n"
    "Cleo Brown;201.555.0181;-not-an-email;C-3;\r\n"
    "Dan Green;201.555.0182;dan@example.com;D-4;@home\r\n"
).encode()


@pytest.fixture
def manager_client(client, make_user):
    client.force_login(make_user("morgan", MANAGERS))
    return client


def url(name: str, lead_import: LeadImport | None = None, slug: str = "spring") -> str:
    kwargs = {"slug": slug} if lead_import is None else {"slug": slug, "pk": lead_import.pk}
    return reverse(name, kwargs=kwargs)


def upload(client, content: bytes, name: str = "crm-export.csv"):
    return client.post(url("lead_import_upload"), {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_a_manager_uploads_checks_the_columns_runs_the_import_and_downloads_the_errors(
    manager_client, campaign, eager_celery, django_capture_on_commit_callbacks
):
    response = upload(manager_client, CRM_EXPORT)

    lead_import = LeadImport.objects.get()
    assert response.status_code == 302 and response.url == url("lead_import_mapping", lead_import)
    page = manager_client.get(response.url).content.decode()
    assert "semicolon separated" in page and "Internal Ref" in page and "Ada Lovelace" in page
    assert '<option value="full_name" selected>' in page and '<option value="phone" selected>' in page

    # The manager drops the internal reference instead of keeping it as an attribute.
    choices = {"col_0": "full_name", "col_1": "phone", "col_2": "email", "col_3": "ignore", "col_4": "attribute"}
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url("lead_import_mapping", lead_import), choices)

    assert response.status_code == 302 and response.url == url("lead_import_detail", lead_import)
    progress = manager_client.get(url("lead_import_progress", lead_import)).json()
    assert progress | {"report_url": None} == {
        "status": "done", "status_label": "Done", "done": 5, "total": 5, "percent": 100, "finished": True,
        "report_url": None,
    }
    report = manager_client.get(response.url).content.decode()
    assert 'id="import-report"' in report and 'id="import-bar"' not in report
    lead_import.refresh_from_db()
    assert (lead_import.imported, lead_import.duplicates, lead_import.invalid, lead_import.dnc) == (2, 1, 2, 0)
    assert Lead.objects.get(phone="+12015550180").attributes == {"Notes": "=SUM(1+2)"}
    assert CampaignLead.objects.filter(campaign=campaign, lead_import=lead_import).count() == 2

    download = manager_client.get(url("lead_import_errors", lead_import))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows == [
        ["line", "column", "value", "reason"],
        ["3", "Mobile Phone", "'=HYPERLINK(\"http://evil.example/\",\"click\")",
         "invalid phone number: not a phone number"],
        ["5", "Mobile Phone", "'+1 201 555 0180", "duplicate of line 2 in this file"],
        ["6", "E-mail", "'-not-an-email", "invalid email address"],
    ]


def test_an_unreadable_upload_is_refused_on_the_spot(manager_client, campaign):
    response = upload(manager_client, b"Name,Company\nAda,Acme\nBen,Globex\n")

    assert response.status_code == 200
    assert "No column holds phone numbers" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_a_mapping_without_a_phone_column_is_sent_back(manager_client, campaign, django_capture_on_commit_callbacks):
    upload(manager_client, b"Phone,Name\n2015550183,Ada\n")
    lead_import = LeadImport.objects.get()

    with django_capture_on_commit_callbacks() as callbacks:
        response = manager_client.post(
            url("lead_import_mapping", lead_import), {"col_0": "attribute", "col_1": "full_name"}
        )

    assert response.status_code == 200
    assert "Choose exactly one phone column." in response.content.decode()
    assert callbacks == []
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.UPLOADED


def test_the_progress_page_shows_rows_done_of_total_while_it_runs(manager_client, campaign):
    upload(manager_client, b"Phone\n2015550184\n")
    lead_import = LeadImport.objects.get()
    LeadImport.objects.filter(pk=lead_import.pk).update(status="running", total_rows=40000, processed_rows=15000)

    page = manager_client.get(url("lead_import_detail", lead_import)).content.decode()
    progress = manager_client.get(url("lead_import_progress", lead_import)).json()

    assert '<progress id="import-bar" max="40000" value="15000">' in page
    assert url("lead_import_progress", lead_import) in page
    assert (progress["done"], progress["total"], progress["percent"]) == (15000, 40000, 37.5)
    assert not progress["finished"]


def test_imports_of_another_campaign_are_not_found_under_this_one(manager_client, campaign):
    upload(manager_client, b"Phone\n2015550185\n")
    factories.campaign(slug="other")

    response = manager_client.get(url("lead_import_detail", LeadImport.objects.get(), slug="other"))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    ["lead_import_list", "lead_import_upload", "lead_import_mapping", "lead_import_detail", "lead_import_progress",
     "lead_import_errors"],
)
def test_a_rep_is_refused(client, campaign, name):
    lead_import = LeadImport.objects.create(campaign=campaign, original_name="x.csv", file="imports/x.csv")
    client.force_login(factories.rep("riley").user)

    target = url(name) if name in ("lead_import_list", "lead_import_upload") else url(name, lead_import)
    assert client.get(target).status_code == 403
    assert client.post(target).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, campaign):
    response = client.get(url("lead_import_upload"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_campaigns_imports_are_listed_with_their_counts(manager_client, campaign, import_csv):
    import_csv("Phone\n2015550186\n12\n")

    page = manager_client.get(url("lead_import_list")).content.decode()

    assert "leads.csv" in page and "Done" in page
    assert '<td class="num">2</td><td class="num">1</td>' in page
