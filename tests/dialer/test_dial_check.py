"""`manage.py dial_check`: would Parley dial this number at this moment, and why not."""
import io
import json

import pytest
from django.core.management import call_command

from crm.models import Call, DoNotCall
from tests import factories


def check(number: str, at: str, *extra: str) -> dict:
    out = io.StringIO()
    call_command("dial_check", number, "--at", at, "--json", *extra, stdout=out)
    return json.loads(out.getvalue())


def codes(result: dict) -> set[str]:
    return {r["code"] for r in result["reasons"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("number", "at", "dial", "jurisdiction", "why"),
    [
        # Florida, Oklahoma, Maryland: 8 a.m.-8 p.m. local by state law, though the federal rule allows 9 p.m.
        ("+13055550123", "2026-06-10T14:00:00Z", True, "US-FL", set()),  # 10:00 EDT
        ("+13055550123", "2026-06-11T00:30:00Z", False, "US-FL", {"jurisdiction_hours"}),  # 20:30 EDT
        ("+13055550123", "2026-06-10T11:30:00Z", False, "US-FL", {"jurisdiction_hours", "legal_hours"}),  # 07:30
        ("+14055550123", "2026-06-11T01:30:00Z", False, "US-OK", {"jurisdiction_hours"}),  # 20:30 CDT
        ("+14055550123", "2026-06-10T15:00:00Z", True, "US-OK", set()),  # 10:00 CDT
        ("+14105550123", "2026-06-11T00:15:00Z", False, "US-MD", {"jurisdiction_hours"}),  # 20:15 EDT
        ("+14105550123", "2026-06-10T23:59:00Z", True, "US-MD", set()),  # 19:59 EDT
        # New York: the federal 8-21 rule only
        ("+12125550123", "2026-06-11T00:30:00Z", True, "US-NY", set()),  # 20:30 EDT
        ("+12125550123", "2026-06-11T01:30:00Z", False, "US-NY", {"legal_hours"}),  # 21:30 EDT
        # Arizona keeps MST all year (UTC-7)
        ("+16025550123", "2026-06-11T03:30:00Z", True, "US-AZ", set()),  # 20:30 MST
        ("+16025550123", "2026-06-11T04:30:00Z", False, "US-AZ", {"legal_hours"}),  # 21:30 MST
        # Hawaii (UTC-10)
        ("+18085550123", "2026-06-10T20:00:00Z", True, "US-HI", set()),  # 10:00 HST
        ("+18085550123", "2026-06-10T17:30:00Z", False, "US-HI", {"legal_hours"}),  # 07:30 HST
        # British Columbia: CRTC 9:00-21:30 weekdays, 10:00-18:00 weekends
        ("+16045550123", "2026-06-10T15:30:00Z", False, "CA-BC", {"jurisdiction_hours"}),  # Wed 08:30 PDT
        ("+16045550123", "2026-06-10T17:00:00Z", True, "CA-BC", set()),  # Wed 10:00 PDT
        ("+16045550123", "2026-06-14T02:00:00Z", False, "CA-BC", {"jurisdiction_hours"}),  # Sat 19:00 PDT
        # United Kingdom: no jurisdiction rule; Parley's own 8-21 cap (BST, UTC+1)
        ("+442079460000", "2026-06-10T19:30:00Z", True, "", set()),  # 20:30 BST
        ("+442079460000", "2026-06-10T20:30:00Z", False, "", {"legal_hours"}),  # 21:30 BST
    ],
)
def test_dial_check_answers_for_each_jurisdiction_and_local_time(number, at, dial, jurisdiction, why):
    result = check(number, at)

    assert (result["dial"], result["jurisdiction"], codes(result)) == (dial, jurisdiction, why)
    assert result["local_time"]
    if "jurisdiction_hours" in why:
        [reason] = [r for r in result["reasons"] if r["code"] == "jurisdiction_hours"]
        assert reason["citation"]


@pytest.mark.django_db
def test_the_florida_reason_cites_the_statute_and_the_local_time():
    result = check("+13055550123", "2026-06-11T00:30:00Z")

    assert result["local_time"].startswith("2026-06-10T20:30:00-04:00")
    [reason] = result["reasons"]
    assert "501.616" in reason["citation"] and "20:30" in reason["message"]


@pytest.mark.django_db
def test_campaign_reasons_do_not_call_attempts_and_a_call_elsewhere(settings):
    campaign = factories.campaign(status="running", max_attempts=2, window_start="09:00", window_end="17:00")
    other = factories.campaign(status="running")
    lead = factories.lead(phone="+12125550123", timezone="America/New_York")
    factories.hopper_entry(campaign, lead, attempts=2)
    entry = factories.hopper_entry(other, lead, state="claimed", attempts=1)
    Call.objects.create(campaign=other, campaign_lead=entry, lead=lead, status=Call.Status.RINGING)
    DoNotCall.objects.create(phone=lead.phone)

    result = check("+12125550123", "2026-06-10T22:00:00Z", "--campaign", campaign.slug)  # 18:00 EDT

    assert not result["dial"]
    assert codes(result) == {"do_not_call", "attempt_cap", "active_call", "campaign_window"}
    [window] = [r for r in result["reasons"] if r["code"] == "campaign_window"]
    assert "opens at 09:00" in window["message"] and "America/New_York" in window["message"]


@pytest.mark.django_db
def test_the_text_output_says_would_not_dial_and_why():
    out = io.StringIO()
    call_command("dial_check", "+13055550123", "--at", "2026-06-11T00:30:00Z", stdout=out)

    assert "WOULD NOT DIAL" in out.getvalue() and "501.616" in out.getvalue()
