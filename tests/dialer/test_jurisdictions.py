"""State calling-hour laws: a lead's jurisdiction comes from its number or its file, and its rule holds."""
import datetime as dt

import pytest
import time_machine

from campaigns.models import CampaignLead
from crm.models import Call, Lead
from dialer import jurisdictions, lawful, placing
from dialer.claims import claim_due_leads
from tests import factories

from .conftest import at


@pytest.mark.parametrize(
    ("phone", "code"),
    [
        ("+13055550123", "US-FL"),
        ("+14055550123", "US-OK"),
        ("+14105550123", "US-MD"),
        ("+12125550123", "US-NY"),
        ("+16025550123", "US-AZ"),
        ("+18085550123", "US-HI"),
        ("+16045550123", "CA-BC"),
        ("+442079460000", ""),
        ("+18005550100", ""),  # toll-free: no state
    ],
)
def test_the_jurisdiction_comes_from_the_numbers_area_code(phone, code):
    assert jurisdictions.from_number(phone) == code


def test_a_state_column_in_the_lead_file_wins_over_the_area_code():
    assert jurisdictions.for_lead("+12125550123", {"State": "FL"}) == "US-FL"
    assert jurisdictions.for_lead("+12125550123", {"Province": "British Columbia"}) == "CA-BC"
    assert jurisdictions.for_lead("+12125550123", {"State": "??"}) == "US-NY"


def test_every_rule_cites_its_source():
    for rule in jurisdictions.RULES.values():
        assert rule.citation and rule.source.startswith("https://")
    for code in ("US-FL", "US-OK", "US-MD"):
        rule = jurisdictions.RULES[code]
        assert (rule.default, rule.max_calls_per_24h) == ((dt.time(8), dt.time(20)), 3)


def florida_lead(**fields):
    fields.setdefault("phone", "+13055550123")
    return factories.lead(timezone="America/New_York", **fields)


def test_a_florida_lead_is_not_claimed_after_8_pm_even_when_the_window_runs_to_9(running_campaign):
    campaign = running_campaign(window_end=dt.time(21), calling_days=[0, 1, 2, 3, 4, 5, 6])
    fl = factories.hopper_entry(campaign, florida_lead())
    ny = factories.hopper_entry(campaign, factories.lead(phone="+12125550123", timezone="America/New_York"))
    evening = at("America/New_York", 2026, 6, 10, 20, 30)

    with time_machine.travel(evening, tick=False):
        ids = claim_due_leads(campaign.pk, evening, dispatch=None)

    assert list(Call.objects.filter(pk__in=ids).values_list("lead_id", flat=True)) == [ny.lead_id]
    assert Lead.objects.get(pk=fl.lead_id).jurisdiction == "US-FL"  # derived before the claim
    morning = at("America/New_York", 2026, 6, 11, 10, 0)
    with time_machine.travel(morning, tick=False):
        assert len(claim_due_leads(campaign.pk, morning, dispatch=None)) == 1


def test_a_florida_lead_is_not_claimed_a_fourth_time_in_24_hours(running_campaign):
    campaign = running_campaign(max_attempts=10)
    entry = factories.hopper_entry(campaign, florida_lead())
    noon = at("America/New_York", 2026, 6, 10, 12, 0)
    for hours in (1, 2, 3):
        factories.finished_call(entry, "no_answer", placed_at=noon - dt.timedelta(hours=hours), finalized_at=noon)

    with time_machine.travel(noon, tick=False):
        assert claim_due_leads(campaign.pk, noon, dispatch=None) == []
    later = noon + dt.timedelta(hours=22)  # the oldest of the three is now over 24 h ago
    with time_machine.travel(later, tick=False):
        assert len(claim_due_leads(campaign.pk, later, dispatch=None)) == 1


def test_a_rule_is_checked_again_at_dial_time(running_campaign, twilio):
    campaign = running_campaign(window_end=dt.time(21))
    factories.hopper_entry(campaign, florida_lead())
    before = at("America/New_York", 2026, 6, 10, 19, 59)
    with time_machine.travel(before, tick=False):
        [call_id] = claim_due_leads(campaign.pk, before, dispatch=None)
    after = at("America/New_York", 2026, 6, 10, 20, 1)

    with time_machine.travel(after, tick=False):
        assert placing.place_call(call_id, after) == placing.Placed.RELEASED

    call = Call.objects.get(pk=call_id)
    assert twilio.creates() == [] and "Florida" in call.error and "501.616" in call.error
    assert call.campaign_lead.state == CampaignLead.State.RETRY


def test_texas_sunday_mornings_are_closed(running_campaign):
    campaign = running_campaign(calling_days=[0, 1, 2, 3, 4, 5, 6])
    factories.hopper_entry(campaign, factories.lead(phone="+12145550123", timezone="America/Chicago"))
    sunday = at("America/Chicago", 2026, 6, 14, 11, 0)
    with time_machine.travel(sunday, tick=False):
        assert claim_due_leads(campaign.pk, sunday, dispatch=None) == []
    assert lawful.derive_missing() == 0


def test_an_imported_files_state_column_sets_the_jurisdiction(running_campaign, settings, tmp_path):
    from campaigns import imports

    settings.MEDIA_ROOT = tmp_path / "media"
    campaign = running_campaign()
    data = b"Phone,First name,State\n+12125550123,Ann,Florida\n+12125550124,Bob,\n"
    started = imports.start_import(campaign, data, "leads.csv")
    assert imports.run_import(started.pk).imported == 2
    noon = at("America/New_York", 2026, 6, 10, 12, 0)

    with time_machine.travel(noon, tick=False):
        claim_due_leads(campaign.pk, noon, dispatch=None)

    assert dict(Lead.objects.values_list("first_name", "jurisdiction")) == {"Ann": "US-FL", "Bob": "US-NY"}
