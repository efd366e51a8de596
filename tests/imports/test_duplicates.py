"""Duplicates within the file and against the campaign are counted and skipped; other campaigns' leads attach."""
from campaigns.models import CampaignLead
from crm.models import Lead
from tests import factories


def test_a_number_repeated_in_the_file_is_imported_once(import_csv):
    result = import_csv("Name,Phone\nAda,2015550140\nAda again,(201) 555-0140\nBen,+1 201 555 0141\n")

    assert (result.total_rows, result.imported, result.duplicates) == (3, 2, 1)
    assert result.errors == [
        {"line": 3, "column": "Phone", "value": "(201) 555-0140", "reason": "duplicate of line 2 in this file"}
    ]
    assert Lead.objects.get(phone="+12015550140").first_name == "Ada"


def test_a_number_already_in_the_campaign_is_skipped(import_csv, campaign):
    existing = factories.lead("+12015550142", first_name="Old")
    factories.hopper_entry(campaign, existing, state=CampaignLead.State.DONE, attempts=2)

    result = import_csv("Name,Phone\nNew,201.555.0142\nOther,201.555.0143\n")

    assert (result.imported, result.duplicates) == (1, 1)
    assert result.errors == [
        {"line": 2, "column": "Phone", "value": "201.555.0142", "reason": "already in this campaign"}
    ]
    entry = CampaignLead.objects.get(campaign=campaign, lead=existing)
    assert (entry.state, entry.attempts, entry.lead_import) == (CampaignLead.State.DONE, 2, None)
    assert Lead.objects.get(pk=existing.pk).first_name == "Old"


def test_a_lead_known_from_another_campaign_is_attached_not_duplicated(import_csv, campaign):
    other = factories.campaign()
    known = factories.lead("+12015550144", first_name="Known")
    factories.hopper_entry(other, known)

    result = import_csv("Name,Phone\nKnown Again,2015550144\n")

    assert (result.imported, result.duplicates) == (1, 0)
    assert Lead.objects.filter(phone="+12015550144").count() == 1
    entry = CampaignLead.objects.get(campaign=campaign)
    assert (entry.lead, entry.lead_import, entry.state) == (known, result, CampaignLead.State.PENDING)


def test_importing_the_same_file_twice_adds_nothing_the_second_time(import_csv):
    text = "Phone\n2015550145\n2015550146\n"
    first = import_csv(text)
    second = import_csv(text)

    assert (first.imported, second.imported, second.duplicates) == (2, 0, 2)
    assert CampaignLead.objects.count() == 2


def test_hopper_rows_keep_the_files_order_so_the_dialer_takes_them_in_that_order(import_csv, campaign):
    import_csv("Phone\n2015550199\n2015550147\n2015550173\n")

    entries = CampaignLead.objects.filter(campaign=campaign).order_by("id")
    assert list(entries.values_list("lead__phone", flat=True)) == ["+12015550199", "+12015550147", "+12015550173"]
