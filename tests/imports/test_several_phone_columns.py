"""A CRM export with several phone columns: they are ranked by how many rows they fill with valid numbers, the
manager confirms the order, and each row is called on its first valid number, the others kept as alternates."""
from django.urls import reverse

from campaigns import imports
from campaigns.imports import detect_mapping, mapping_problems
from campaigns.models import CampaignLead
from crm.models import Lead
from crm.roles import MANAGERS

APOLLO = (
    "First Name,Last Name,Work Direct Phone,Home Phone,Mobile Phone,Corporate Phone,Other Phone,Do Not Call\n"
    "Ada,Lovelace,(201) 555-0190,,,(201) 555-0100,,FALSE\n"
    "Ben,Okafor,,,,(201) 555-0101,,FALSE\n"
    "Cy,Tran,(201) 555-0192,,(201) 555-0193,(201) 555-0102,,TRUE\n"
    "Di,Moss,,,,,(201) 555-0194,FALSE\n"
)


def test_phone_columns_are_ranked_by_how_many_rows_they_fill_with_valid_numbers():
    headers = ["Mobile Phone", "Corporate Phone", "Work Direct Phone", "Fax"]
    sample = [
        ["", "(201) 555-0100", "", "(201) 555-0199"],
        ["(201) 555-0191", "(201) 555-0101", "(201) 555-0190", "(201) 555-0198"],
        ["", "(201) 555-0102", "", ""],
    ]

    mapping = detect_mapping(headers, sample)

    assert mapping == {
        "Corporate Phone": "phone",  # 3 valid numbers
        "Mobile Phone": "phone_2",  # 1, and named Mobile: first on a tie
        "Work Direct Phone": "phone_3",  # 1
        "Fax": "attribute",  # a fax is never dialled
    }


def test_each_row_takes_its_first_valid_number_and_keeps_the_others_as_alternates(import_csv):
    result = import_csv(APOLLO)

    assert (result.total_rows, result.imported, result.invalid, result.dnc) == (4, 4, 0, 1)
    assert result.mapping["Corporate Phone"] == "phone"
    phones = dict(Lead.objects.values_list("first_name", "phone"))
    assert {k: str(v) for k, v in phones.items()} == {
        "Ada": "+12015550100", "Ben": "+12015550101", "Cy": "+12015550102", "Di": "+12015550194",
    }
    cy = Lead.objects.get(first_name="Cy")
    assert cy.attributes["alternate_phones"] == "+12015550192, +12015550193"
    states = dict(CampaignLead.objects.values_list("lead__first_name", "state"))
    assert states["Cy"] == CampaignLead.State.DO_NOT_CALL
    assert states["Ada"] == CampaignLead.State.PENDING


def test_an_invalid_first_choice_falls_back_to_the_next_column(import_csv):
    result = import_csv("Phone,Tel,Name\n2015550150,,A\n2015550151,,B\n555-01,(201) 555-0195,C\n,,D\n")

    assert result.imported == 3
    assert Lead.objects.filter(phone="+12015550195").exists()
    assert result.errors == [{"line": 5, "column": "Phone", "value": "", "reason": "missing phone number"}]


def test_the_manager_can_change_the_order_and_only_one_column_per_rank():
    headers = ["A", "B", "C"]

    assert mapping_problems({"A": "phone_2", "B": "phone", "C": "attribute"}, headers) == []
    assert mapping_problems({"A": "phone", "B": "phone_2", "C": "phone_2"}, headers) == [
        "Only one column can be Phone, 2nd choice."
    ]


def test_the_mapping_page_shows_the_order_numbers_will_be_tried_in(client, make_user, campaign):
    client.force_login(make_user("morgan", MANAGERS))
    started = imports.start_import(campaign, APOLLO.encode(), "apollo.csv")

    page = client.get(reverse("lead_import_mapping", kwargs={"slug": campaign.slug, "pk": started.pk}))

    text = page.content.decode()
    assert "Each row is called on its first valid number, in this order: Corporate Phone, Work Direct Phone" in text
