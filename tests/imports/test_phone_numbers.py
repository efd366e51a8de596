"""Phone numbers written every way people write them become E.164, or a row error that says why not."""
import pytest

from crm.models import Lead

VALID = [
    ("2015550123", "+12015550123"),  # national digits
    ("(201) 555-0123", "+12015550123"),  # parentheses
    ("201.555.0123", "+12015550123"),  # dots
    ("201 555 0123", "+12015550123"),  # spaces
    ("+1 201-555-0123", "+12015550123"),  # +1
    ("1-201-555-0123", "+12015550123"),  # leading trunk 1
    ("001 201 555 0123", "+12015550123"),  # 00 international prefix
    ("011 44 20 7946 0958", "+442079460958"),  # US international prefix
    ("+44 (0)20 7946 0958", "+442079460958"),  # foreign number with (0)
    ("1-800-FLOWERS", "+18003569377"),  # letters on the keypad
    ("201-555-0123 ext. 42", "+12015550123"),  # extension
]
INVALID = [
    ("555-0123", "invalid phone number: too short: the area code is missing"),
    ("12", "invalid phone number: too short"),
    ("201555012345678901", "invalid phone number: too long"),
    ("call me maybe", "invalid phone number: not a phone number"),
    ("+999 123 456", "invalid phone number: unknown country code"),
    ("", "missing phone number"),
]


@pytest.mark.parametrize(("written", "e164"), VALID, ids=[w for w, _ in VALID])
def test_it_normalises_the_number_to_e164(import_csv, written, e164):
    result = import_csv(f'Phone,Name\n"{written}",Ada\n')

    assert (result.imported, result.errors) == (1, [])
    assert str(Lead.objects.get().phone) == e164


@pytest.mark.parametrize(("written", "reason"), INVALID, ids=[w or "empty" for w, _ in INVALID])
def test_it_rejects_the_row_and_says_why(import_csv, written, reason):
    result = import_csv(f'Name,Phone\nAda,"{written}"\n')

    assert (result.imported, result.invalid) == (0, 1)
    assert result.errors == [{"line": 2, "column": "Phone", "value": written, "reason": reason}]
    assert not Lead.objects.exists()


def test_an_extension_is_kept_with_the_lead(import_csv):
    import_csv("Phone\n201-555-0123 x42\n")

    assert Lead.objects.get().attributes == {"phone_extension": "42"}


def test_national_numbers_follow_the_campaigns_region(import_csv, campaign):
    campaign.default_region = "GB"
    campaign.save()

    result = import_csv("Phone\n020 7946 0958\n")

    assert result.imported == 1
    assert str(Lead.objects.get().phone) == "+442079460958"
    assert Lead.objects.get().timezone == "Europe/London"
