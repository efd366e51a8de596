"""Leads that join a running campaign are claimable on the very next tick, whatever the dialer cached a moment
before (the hopper's zones and jurisdictions are cached for the hot claim query), and a zone or state the cache
has not seen yet is still judged by the window and the state's rules before it is dialed."""
import datetime as dt

import pytest

from crm.models import Call
from dialer import lawful, windows
from dialer.claims import claim_due_leads
from dialer.eligibility import explain_campaign
from tests import factories

from .conftest import at


@pytest.fixture(autouse=True)
def production_cache(settings):
    settings.DIALER_ZONE_CACHE_SECONDS = 30  # the production default: the caches are warm between ticks
    windows.forget_cached_zones()
    lawful.forget_cached()
    yield
    windows.forget_cached_zones()
    lawful.forget_cached()


def claimed_phones(campaign, now):
    ids = claim_due_leads(campaign.pk, now, dispatch=None)
    return sorted(str(p) for p in Call.objects.filter(pk__in=ids).values_list("lead__phone", flat=True))


def test_a_lead_imported_after_the_campaign_page_was_shown_is_claimed_on_the_next_tick(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(20))
    noon = at("Asia/Tokyo", 2026, 6, 10, 12, 0)
    explain_campaign(campaign, noon)  # the page after "Create campaign": empty hopper, caches warm
    assert claim_due_leads(campaign.pk, noon, dispatch=None) == []
    factories.hopper_entry(campaign, factories.lead(phone="+81312345678", timezone="Asia/Tokyo"))  # jurisdiction NULL

    assert claimed_phones(campaign, noon + dt.timedelta(seconds=2)) == ["+81312345678"]


def test_a_lead_with_a_known_jurisdiction_in_a_zone_new_to_the_hopper_is_claimed_on_the_next_tick(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(20))
    noon = at("America/Chicago", 2026, 6, 10, 12, 0)
    factories.hopper_entry(campaign, factories.lead(phone="+12125550101", timezone="America/New_York"))
    assert claimed_phones(campaign, noon) == ["+12125550101"]
    factories.hopper_entry(
        campaign, factories.lead(phone="+13125550102", timezone="America/Chicago", jurisdiction="")
    )

    assert claimed_phones(campaign, noon + dt.timedelta(seconds=2)) == ["+13125550102"]


def test_a_new_zone_outside_its_window_is_not_dialed_although_the_cache_has_not_seen_it(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(20))
    noon_ny = at("America/New_York", 2026, 6, 10, 12, 0)  # 01:00 in Tokyo
    factories.hopper_entry(campaign, factories.lead(phone="+12125550101", timezone="America/New_York"))
    assert claimed_phones(campaign, noon_ny) == ["+12125550101"]
    factories.hopper_entry(campaign, factories.lead(phone="+81312345678", timezone="Asia/Tokyo"))
    factories.hopper_entry(campaign, factories.lead(phone="+12125550103", timezone="America/New_York"))

    assert claimed_phones(campaign, noon_ny + dt.timedelta(seconds=2)) == ["+12125550103"]
    assert claimed_phones(campaign, noon_ny + dt.timedelta(seconds=4)) == []


def test_a_new_florida_lead_is_held_to_florida_hours_although_the_cache_has_not_seen_florida(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(21))
    evening = at("America/New_York", 2026, 6, 10, 20, 30)  # Florida forbids calls after 20:00
    factories.hopper_entry(campaign, factories.lead(phone="+12125550101", timezone="America/New_York"))
    assert claimed_phones(campaign, evening) == ["+12125550101"]
    factories.hopper_entry(campaign, factories.lead(phone="+13055550123", timezone="America/New_York"))

    assert claimed_phones(campaign, evening + dt.timedelta(seconds=2)) == []
    assert claimed_phones(campaign, evening + dt.timedelta(seconds=4)) == []
