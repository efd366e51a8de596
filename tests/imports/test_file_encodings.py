"""Files as other tools export them: byte-order marks, Windows-1252, UTF-16, odd separators and line endings."""
import pytest

from campaigns.models import CampaignLead
from crm.models import Lead


def test_a_utf8_bom_does_not_stick_to_the_first_header(import_csv):
    result = import_csv("\ufeffPhone,First name\n(201) 555-0123,Ada\n".encode())

    assert result.mapping["Phone"] == "phone"
    assert result.imported == 1
    assert Lead.objects.get().first_name == "Ada"


def test_windows_1252_names_arrive_intact(import_csv):
    data = "First name;Last name;Phone\nZoë;Müller;201 555 0124\nJosé;Núñez – Ltd;201 555 0125\n".encode("cp1252")

    result = import_csv(data)

    assert result.encoding == "windows-1252"
    assert sorted(Lead.objects.values_list("first_name", "last_name")) == [("José", "Núñez – Ltd"), ("Zoë", "Müller")]


def test_utf16_with_a_bom_is_read(import_csv):
    result = import_csv("Phone\tName\r\n2015550126\tAda Lovelace\r\n".encode("utf-16"))

    assert result.imported == 1
    assert Lead.objects.get().last_name == "Lovelace"


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_the_separator_is_sniffed(import_csv, delimiter):
    text = delimiter.join(["Company", "Phone", "Email"]) + "\n"
    text += delimiter.join(["Acme, Inc.", "201-555-0127", "a@example.com"]) + "\n"
    text += delimiter.join(["Globex", "201-555-0128", "g@example.com"]) + "\n"
    if delimiter == ",":
        text = text.replace("Acme, Inc.", '"Acme, Inc."')

    result = import_csv(text)

    assert result.delimiter == delimiter
    assert result.imported == 2
    assert sorted(Lead.objects.values_list("company", flat=True)) == ["Acme, Inc.", "Globex"]


def test_blank_lines_are_skipped_and_lines_are_counted_as_in_the_file(import_csv):
    text = "Phone,Name\r\n\r\n2015550129,Ada\r\n  \r\n,,\r\nnot a number,Bob\r\n\r\n"

    result = import_csv(text)

    assert (result.total_rows, result.imported, result.invalid) == (2, 1, 1)
    assert [(e["line"], e["value"]) for e in result.errors] == [(6, "not a number")]


def test_quoted_newlines_stay_in_the_cell_and_later_lines_are_reported_where_they_are(import_csv):
    text = (
        "Phone,Name,Notes\n"
        '2015550130,Ada,"first line\nsecond line\r\nthird line"\n'
        "2015550131,Bob,short\n"
        '12,"Carl\nCarlsson",bad number\n'
        "2015550130,Dup,again\n"
    )

    result = import_csv(text)

    assert Lead.objects.get(phone="+12015550130").attributes["Notes"] == "first line\nsecond line\r\nthird line"
    assert [(e["line"], e["reason"]) for e in result.errors] == [
        (6, "invalid phone number: too short"),
        (8, "duplicate of line 2 in this file"),
    ]
    assert CampaignLead.objects.count() == 2


def test_bytes_windows_1252_leaves_undefined_fall_back_to_latin_1(import_csv):
    result = import_csv(b"Phone,Company\n2015550132,Caf\xe9 \x81 Ltd\n")

    assert result.encoding == "latin-1"
    assert Lead.objects.get().company == "Café \x81 Ltd"
