"""A file that is not a lead table is refused at once with one sentence, and nothing is imported."""
import pytest

from campaigns import imports
from campaigns.csv_reading import UnreadableFile
from campaigns.models import CampaignLead, LeadImport
from crm.models import Lead

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
XLSX = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256))


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (b"", "The file is empty."),
        (b"\r\n \r\n\t\n", "The file is empty."),
        (PNG, "This file is binary, not a text table: export the list as CSV and upload that."),
        (
            XLSX,
            "This file is a zip archive, not an Excel .xlsx workbook: save the list as .xlsx or CSV and upload that.",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)),
            "This is an old Excel .xls workbook: save it as .xlsx or CSV and upload that.",
        ),
        (
            b"First name,Last name,Company\nAda,Lovelace,Analytical\nBen,Franklin,Post\n",
            "No column holds phone numbers: name the phone column Phone, Mobile, Tel or Cell and upload again.",
        ),
    ],
    ids=["empty", "blank-lines-only", "binary", "broken-xlsx", "xls", "no-phone-column"],
)
def test_it_is_refused_with_one_clear_sentence(campaign, data, sentence):
    with pytest.raises(UnreadableFile) as refused:
        imports.start_import(campaign, data, "leads.csv")

    assert str(refused.value) == sentence
    assert not LeadImport.objects.exists()
    assert not Lead.objects.exists() and not CampaignLead.objects.exists()


def test_a_phone_column_with_an_unknown_header_is_found_by_its_values(import_csv):
    result = import_csv("Nom,Numéro\nAda,+33 1 42 68 53 00\nBen,+33 1 42 68 53 01\n")

    assert result.mapping == {"Nom": "attribute", "Numéro": "phone"}
    assert result.imported == 2
