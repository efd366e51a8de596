"""python manage.py import_leads --campaign <slug> <file.csv> --json: the same engine, a JSON report, exit codes."""
import json

import pytest
from django.core.management import call_command

from campaigns.models import CampaignLead, LeadImport


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        call_command("import_leads", *args)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_it_prints_the_report_as_json_and_exits_0(campaign, tmp_path, capsys):
    path = tmp_path / "leads.csv"
    path.write_bytes("First name;Phone\nZoë;201 555 0170\nBad;12\nZoë;+1 201 555 0170\n".encode("cp1252"))

    code, out, err = run(capsys, "--campaign", "spring", str(path), "--json")

    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "total_rows": 3,
        "imported": 1,
        "duplicates": 1,
        "invalid": 1,
        "dnc": 0,
        "errors": [
            {"line": 3, "column": "Phone", "value": "12", "reason": "invalid phone number: too short"},
            {"line": 4, "column": "Phone", "value": "+1 201 555 0170", "reason": "duplicate of line 2 in this file"},
        ],
    }
    assert CampaignLead.objects.get(campaign=campaign).lead.first_name == "Zoë"
    assert LeadImport.objects.get().status == LeadImport.Status.DONE


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01\x02\x03binary\x00\x00", "This file is binary, not a text table"),
        (b"Name,Company\nAda,Acme\n", "No column holds phone numbers"),
    ],
    ids=["empty", "binary", "no-phone-column"],
)
def test_an_unreadable_file_exits_2_with_one_line_on_stderr(campaign, tmp_path, capsys, content, message):
    path = tmp_path / "leads.csv"
    path.write_bytes(content)

    code, out, err = run(capsys, "--campaign", "spring", str(path), "--json")

    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and message in err
    assert not LeadImport.objects.exists() and not CampaignLead.objects.exists()


def test_a_missing_file_exits_2(campaign, tmp_path, capsys):
    code, out, err = run(capsys, "--campaign", "spring", str(tmp_path / "nope.csv"), "--json")

    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'nope.csv'}: No such file or directory\n"
