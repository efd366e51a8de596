"""`manage.py dial_check`: would Parley dial this number at this moment, and why not."""
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from crm.models import Call, DoNotCall
from tests import factories


def run(*args: str) -> tuple[int, str]:
    """(exit status, stdout) of `manage.py dial_check ARGS`."""
    out = io.StringIO()
    try:
        call_command("dial_check", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def check(number: str, at: str, *extra: str) -> dict:
    status, out = run(number, "--at", at, "--json", *extra)
    result = json.loads(out)
    assert status == (0 if result["dial"] else 1)
    return result


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
def test_the_text_output_says_would_not_dial_and_why_and_exits_1():
    status, out = run("+13055550123", "--at", "2026-06-11T00:30:00Z")

    assert status == 1
    assert "WOULD NOT DIAL" in out and "501.616" in out
    assert "Wed 10 Jun 20:30 America/New_York" in out and "2026-06-11T00:30" not in out


@pytest.mark.django_db
def test_it_exits_0_when_it_would_dial():
    status, out = run("+13055550123", "--at", "2026-06-10T14:00:00Z")

    assert (status, "WOULD DIAL" in out) == (0, True)


@pytest.mark.django_db
@pytest.mark.parametrize("args", [("+13055550123", "--at", "tomorrow"), ("+13055550123", "--campaign", "nope")])
def test_usage_errors_exit_2(args):
    with pytest.raises(CommandError) as error:
        call_command("dial_check", *args)

    assert error.value.returncode == 2


def test_the_exit_statuses_are_in_the_help():
    from dialer.management.commands.dial_check import Command

    help_text = Command().create_parser("manage.py", "dial_check").format_help()
    assert "exit status" in help_text.lower() and "0" in help_text and "1" in help_text and "2" in help_text


@pytest.mark.django_db
def test_an_invalid_number_gets_only_the_invalid_number_reason():
    result = check("+1999", "2026-06-10T14:00:00Z")

    assert not result["dial"] and codes(result) == {"invalid_number"}


@pytest.mark.django_db
def test_a_pending_retry_is_written_for_people_in_the_leads_zone():
    campaign = factories.campaign(status="running")
    lead = factories.lead(phone="+12125550123", timezone="America/New_York")
    factories.hopper_entry(
        campaign, lead, state="retry", attempts=1, next_attempt_at=dt.datetime(2026, 6, 10, 16, 46, 42, 37747, dt.UTC)
    )

    result = check("+12125550123", "2026-06-10T14:00:00Z", "--campaign", campaign.slug)

    [retry] = [r for r in result["reasons"] if r["code"] == "retry_pending"]
    assert retry["message"] == "Next attempt due at 12:46 America/New_York (16:46 UTC)"
    assert result["at"] == "2026-06-10T14:00:00+00:00"  # the JSON fields stay ISO-8601
