"""A Do-Not-Call / Opt-out / Unsubscribed / consent column in the file parks the rows it marks: imported, counted,
never dialable."""
import pytest
from django.urls import reverse

from campaigns import imports
from campaigns.imports import detect_mapping
from campaigns.models import CampaignLead
from crm.models import Lead
from crm.roles import MANAGERS


def _dialable():
    return set(
        CampaignLead.objects.filter(state__in=CampaignLead.DIALABLE_STATES).values_list("lead__phone", flat=True)
    )


@pytest.mark.parametrize("header", ["Do Not Call", "DNC", "Opt-out", "Opted Out", "Unsubscribed", "Do_Not_Call"])
def test_compliance_headers_are_recognised(header):
    assert detect_mapping(["Phone", header], [["2015550180", "TRUE"]])[header] == "do_not_call"


@pytest.mark.parametrize("marked", ["TRUE", "yes", "Y", "1", "x", "X"])
def test_a_row_marked_in_a_do_not_call_column_is_imported_as_do_not_call(import_csv, marked):
    result = import_csv(f"Name,Phone,Do Not Call\nAda,2015550181,{marked}\nBen,2015550182,FALSE\nCy,2015550183,\n")

    assert (result.imported, result.dnc, result.errors) == (3, 1, [])
    assert _dialable() == {"+12015550182", "+12015550183"}
    assert "Do Not Call" not in Lead.objects.get(phone="+12015550181").attributes


def test_a_consent_column_saying_no_parks_the_row(import_csv):
    result = import_csv("Phone,Consent\n2015550184,no\n2015550185,Web form 2026-03-01\n")

    assert result.dnc == 1
    assert _dialable() == {"+12015550185"}


def test_the_mapping_page_names_the_compliance_column(client, make_user, campaign):
    client.force_login(make_user("morgan", MANAGERS))
    started = imports.start_import(campaign, b"Phone,Unsubscribed\n2015550186,yes\n", "leads.csv")

    page = client.get(reverse("lead_import_mapping", kwargs={"slug": campaign.slug, "pk": started.pk}))

    assert "Rows marked in “Unsubscribed” are imported as do-not-call" in page.content.decode()
