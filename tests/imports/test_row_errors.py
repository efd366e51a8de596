"""Every rejected row is reported, with its line, in file order: on the report page (page by page), in the CSV
download and in `import_leads --json`, however many there are and however many chunks they span."""
import csv
import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from campaigns import import_views, imports
from campaigns.models import ImportRowError, LeadImport
from crm.roles import MANAGERS

ROWS = 300
ALREADY_IN_CAMPAIGN = {2, 50, 200}  # rows whose number an earlier import added


def phone(i: int) -> str:
    return f"201555{i:04d}"


def many_errors_file() -> tuple[str, list[dict]]:
    """300 rows, every third invalid, every fifth a repeat of row 1: the file and the errors it must report."""
    lines, expected = ["Name,Phone"], []
    for i in range(ROWS):
        line = i + 2
        if i % 3 == 0:
            lines.append(f"Bad {i},12")
            expected.append(
                {"line": line, "column": "Phone", "value": "12", "reason": "invalid phone number: too short"}
            )
        elif i % 5 == 1 and i > 1:
            lines.append(f"Again {i},{phone(1)}")
            expected.append(
                {"line": line, "column": "Phone", "value": phone(1), "reason": "duplicate of line 3 in this file"}
            )
        else:
            lines.append(f"Row {i},{phone(i)}")
            if i in ALREADY_IN_CAMPAIGN:
                expected.append(
                    {"line": line, "column": "Phone", "value": phone(i), "reason": "already in this campaign"}
                )
    return "\n".join(lines) + "\n", expected


@pytest.fixture
def many_errors(import_csv):
    """The file imported in chunks of 40 rows after an import of three of its numbers; (LeadImport, expected)."""
    import_csv("Name,Phone\n" + "".join(f"Earlier {i},{phone(i)}\n" for i in sorted(ALREADY_IN_CAMPAIGN)))
    content, expected = many_errors_file()
    return import_csv(content, chunk_rows=40), expected


def test_a_file_with_many_errors_reports_every_one_with_its_line_in_order(many_errors):
    result, expected = many_errors

    assert len(expected) > 140
    assert result.errors == expected
    assert imports.report(result)["errors"] == expected
    stored = ImportRowError.objects.filter(lead_import=result).count()
    assert result.invalid + result.duplicates == len(expected) == stored


@pytest.fixture
def manager_client(client, make_user):
    client.force_login(make_user("morgan", MANAGERS))
    return client


def rejected_lines(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', page)]


def test_the_report_shows_the_errors_page_by_page_and_the_csv_has_them_all(
    manager_client, campaign, many_errors, monkeypatch
):
    result, expected = many_errors
    monkeypatch.setattr(import_views, "ERRORS_PER_PAGE", 50)
    detail = reverse("lead_import_detail", kwargs={"slug": campaign.slug, "pk": result.pk})
    lines = [e["line"] for e in expected]

    first = manager_client.get(detail).content.decode()
    second = manager_client.get(detail + "?page=2").content.decode()
    beyond = manager_client.get(detail + "?page=999").content.decode()

    assert rejected_lines(first) == lines[:50]
    assert rejected_lines(second) == lines[50:100]
    assert 100 < len(expected) <= 150
    assert f"Rows 51–100 of {len(expected)} (page 2 of 3)" in second
    assert "?page=1" in second and "?page=3" in second
    assert rejected_lines(beyond) == lines[100:]  # past the end: the last page
    download = manager_client.get(reverse("lead_import_errors", kwargs={"slug": campaign.slug, "pk": result.pk}))
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == ["line", "column", "value", "reason"]
    assert [int(r[0]) for r in rows[1:]] == lines


def test_a_clean_file_says_every_row_was_imported(manager_client, campaign, import_csv):
    result = import_csv("Name,Phone\nAda,2015550101\n")

    page = manager_client.get(reverse("lead_import_detail", kwargs={"slug": campaign.slug, "pk": result.pk}))

    assert "Every row was imported." in page.content.decode() and 'id="error-csv"' not in page.content.decode()


def test_import_leads_json_keeps_its_keys_and_lists_every_error_in_order(campaign, tmp_path, capsys, import_csv):
    import_csv("Name,Phone\n" + "".join(f"Earlier {i},{phone(i)}\n" for i in sorted(ALREADY_IN_CAMPAIGN)))
    content, expected = many_errors_file()
    path = tmp_path / "leads.csv"
    path.write_text(content)

    call_command("import_leads", "--campaign", campaign.slug, str(path), "--json")

    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["total_rows", "imported", "duplicates", "invalid", "dnc", "errors"]
    assert report["errors"] == expected
    assert report["total_rows"] == ROWS and report["invalid"] + report["duplicates"] == len(expected)


def test_all_errors_reads_in_batches_without_losing_or_repeating_one(many_errors, monkeypatch):
    result, expected = many_errors
    monkeypatch.setattr("campaigns.import_errors.READ_BATCH", 7)

    assert list(imports.all_errors(result)) == expected


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_the_json_errors_of_earlier_imports_into_rows(campaign):
    before, after = ("campaigns", "0006_campaign_kinds_meeting_enrollment"), ("campaigns", "0007_import_row_errors")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    old = old_apps.get_model("campaigns", "LeadImport").objects.create(
        campaign_id=campaign.pk,
        file="imports/old.csv",
        original_name="old.csv",
        status="done",
        errors=[
            {"line": 2, "column": "Phone", "value": "12", "reason": "invalid phone number: too short"},
            {"line": 9, "column": "", "value": "", "reason": "missing phone number"},
        ],
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert LeadImport.objects.get(pk=old.pk).errors == [
        {"line": 2, "column": "Phone", "value": "12", "reason": "invalid phone number: too short"},
        {"line": 9, "column": "", "value": "", "reason": "missing phone number"},
    ]
