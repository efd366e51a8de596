"""Excel .xlsx uploads go through the same engine: first sheet or the one picked, cells typed as Excel keeps them."""
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from campaigns import imports
from campaigns.csv_reading import UnreadableFile
from campaigns.models import CampaignLead, LeadImport
from crm.models import Lead
from crm.roles import MANAGERS


def workbook(*sheets: tuple[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LEADS = [
    ["Spring leads, exported 2026-03-01"],
    [],
    ["First Name", "Mobile Phone", "Corporate Phone", "Do Not Call", "Signed up"],
    ["Ada", 2015550200, None, False, dt.datetime(2026, 3, 1, 9, 30)],
    ["Ben", None, "(201) 555-0201", True, None],
    ["Cy", 2015550202.0, None, None, None],
    ["Di", "12", None, None, None],
]


def test_an_xlsx_sheet_is_imported_like_a_csv(import_csv):
    result = import_csv(workbook(("Leads", LEADS)))

    assert result.mapping == {
        "First Name": "first_name",
        "Mobile Phone": "phone",
        "Corporate Phone": "phone_2",
        "Do Not Call": "do_not_call",
        "Signed up": "attribute",
    }
    assert (result.total_rows, result.imported, result.invalid, result.dnc) == (4, 3, 1, 1)
    assert result.errors == [
        {"line": 7, "column": "Mobile Phone", "value": "12", "reason": "invalid phone number: too short"}
    ]
    assert sorted(str(p) for p in Lead.objects.values_list("phone", flat=True)) == [
        "+12015550200", "+12015550201", "+12015550202",
    ]
    assert Lead.objects.get(first_name="Ada").attributes == {"Signed up": "2026-03-01 09:30:00"}
    assert CampaignLead.objects.get(lead__first_name="Ben").state == CampaignLead.State.DO_NOT_CALL


def test_the_first_sheet_is_read_unless_another_is_picked(campaign):
    read_me = [["How to use this file"], ["Step", "Note"], ["1", "Pick the Leads sheet"]]
    data = workbook(("Read me", read_me), ("Leads", LEADS))

    with pytest.raises(UnreadableFile, match="No column holds phone numbers"):
        imports.start_import(campaign, data, "leads.xlsx")
    started = imports.start_import(campaign, data, "leads.xlsx", sheet="Leads")

    assert (started.sheet, imports.sheet_names(started)) == ("Leads", ["Read me", "Leads"])
    assert imports.run_import(started.pk).imported == 3


def test_a_sheet_that_does_not_exist_is_refused(campaign):
    with pytest.raises(UnreadableFile, match="no sheet named “Contacts”"):
        imports.start_import(campaign, workbook(("Leads", LEADS)), "leads.xlsx", sheet="Contacts")


def test_the_pages_take_an_xlsx_and_let_the_manager_pick_the_sheet(client, make_user, campaign):
    client.force_login(make_user("morgan", MANAGERS))
    data = workbook(("Leads", LEADS), ("Old leads", [["Phone"], ["2015550203"]]))

    response = client.post(
        reverse("lead_import_upload", kwargs={"slug": campaign.slug}),
        {"file": SimpleUploadedFile("leads.xlsx", data, "application/vnd.ms-excel")},
    )
    lead_import = LeadImport.objects.get()
    mapping_url = reverse("lead_import_mapping", kwargs={"slug": campaign.slug, "pk": lead_import.pk})
    assert response.url == mapping_url
    page = client.get(mapping_url).content.decode()
    assert "sheet “Leads”" in page and "Old leads" in page

    client.post(mapping_url, {"sheet": "Old leads"})

    lead_import.refresh_from_db()
    assert (lead_import.sheet, lead_import.mapping) == ("Old leads", {"Phone": "phone"})


def test_import_leads_takes_an_xlsx_and_keeps_its_json_keys(campaign, tmp_path, capsys):
    path = tmp_path / "leads.xlsx"
    path.write_bytes(workbook(("Notes", [["x"]]), ("Leads", LEADS)))

    call_command("import_leads", "--campaign", campaign.slug, str(path), "--sheet", "Leads", "--json")

    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"total_rows", "imported", "duplicates", "invalid", "dnc", "errors"}
    assert (report["total_rows"], report["imported"], report["invalid"], report["dnc"]) == (4, 3, 1, 1)
