"""A number written with its country code is judged as that country's number, and a file of column names only is
refused as having no rows."""
import pytest

from campaigns import imports
from campaigns.csv_reading import UnreadableFile
from campaigns.models import LeadImport
from crm.models import Lead


def test_a_valid_uk_mobile_in_a_us_campaign_is_imported_as_a_gb_number(import_csv):
    result = import_csv("Name,Phone\nAda,+44 7911 123456\n")

    assert (result.imported, result.errors) == (1, [])
    assert str(Lead.objects.get().phone) == "+447911123456"


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("+44 7700 900123", "invalid phone number: not a valid GB number"),  # Ofcom's range for drama, never assigned
        ("+49 1912345678", "invalid phone number: not a valid DE number"),
        ("201 055 0123", "invalid phone number: not a valid US number"),  # national: the campaign region
    ],
)
def test_an_invalid_number_names_the_country_it_was_written_for(import_csv, written, reason):
    result = import_csv(f'Name,Phone\nAda,"{written}"\n')

    assert result.invalid == 1
    assert result.errors[0]["reason"] == reason
    assert "region US" not in result.errors[0]["reason"]


@pytest.mark.parametrize("content", ["Name,Phone\n", "Name;Phone;Company\r\n\r\n"], ids=["header-only", "blank-after"])
def test_a_file_with_column_names_but_no_rows_is_refused_saying_so(campaign, content):
    with pytest.raises(UnreadableFile) as refused:
        imports.start_import(campaign, content.encode(), "leads.csv")

    assert "no rows" in str(refused.value)
    assert not LeadImport.objects.exists()


@pytest.mark.parametrize("written", ["1.41555E+10", "2.01555E+09", "2,01555E+9"])
def test_a_number_excel_turned_into_scientific_notation_is_named_so(import_csv, written):
    result = import_csv(f'Name,Phone\nAda,"{written}"\n')

    assert result.errors[0]["reason"] == (
        f"invalid phone number: Excel turned this number into {written}; re-export the column as text"
    )


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("07911 123456", "not a valid US number, but a valid GB number: write it with its country code, +44 …"),
        ("447911123456", "not a valid US number, but a valid GB number missing its +: write +447911123456"),
    ],
)
def test_a_number_of_another_country_written_without_its_plus_says_which_country(import_csv, written, reason):
    result = import_csv(f'Name,Phone\nAda,"{written}"\n')

    assert result.errors[0]["reason"] == f"invalid phone number: {reason}"
