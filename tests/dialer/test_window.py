"""No claim outside the lead's local calling window, ever: 08:00-21:00 local at the widest, DST-correct."""
import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import time_machine

from campaigns.models import CampaignLead
from crm.models import Call
from dialer.claims import claim_due_leads
from tests import factories

from .conftest import UTC, at


def claimed_zones(campaign, now):
    with time_machine.travel(now, tick=False):
        ids = claim_due_leads(campaign.pk, now, dispatch=None)
    return sorted(Call.objects.filter(pk__in=ids).values_list("lead__timezone", flat=True))


def test_it_never_claims_before_8am_local_even_when_the_campaign_allows_7am(running_campaign):
    campaign = running_campaign(window_start=dt.time(7), window_end=dt.time(22))
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"))

    assert claimed_zones(campaign, at("America/New_York", 2026, 6, 10, 7, 59, 59)) == []
    assert claimed_zones(campaign, at("America/New_York", 2026, 6, 10, 8, 0)) == ["America/New_York"]


def test_it_never_claims_at_or_after_9pm_local(running_campaign):
    campaign = running_campaign(window_start=dt.time(8), window_end=dt.time(23))
    factories.hopper_entry(campaign, factories.lead(timezone="America/Los_Angeles"))

    assert claimed_zones(campaign, at("America/Los_Angeles", 2026, 6, 10, 21, 0)) == []
    assert claimed_zones(campaign, at("America/Los_Angeles", 2026, 6, 10, 20, 59)) == ["America/Los_Angeles"]


def test_each_lead_is_judged_in_its_own_local_time(running_campaign):
    campaign = running_campaign(window_start=dt.time(9), window_end=dt.time(20))
    for zone in ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Europe/London"):
        factories.hopper_entry(campaign, factories.lead(timezone=zone))

    # 16:00 UTC: 12:00 New York, 09:00 Los Angeles, 06:00 Honolulu, 17:00 London.
    assert claimed_zones(campaign, dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)) == [
        "America/Los_Angeles",
        "America/New_York",
        "Europe/London",
    ]


def test_calling_days_are_the_leads_local_weekday(running_campaign):
    campaign = running_campaign(calling_days=[0, 1, 2, 3, 4], window_start=dt.time(9), window_end=dt.time(20))
    factories.hopper_entry(campaign, factories.lead(timezone="Pacific/Honolulu"))

    # Monday 03:00 UTC is still Sunday 17:00 in Honolulu.
    assert claimed_zones(campaign, dt.datetime(2026, 6, 15, 3, 0, tzinfo=UTC)) == []
    assert claimed_zones(campaign, at("Pacific/Honolulu", 2026, 6, 15, 9, 0)) == ["Pacific/Honolulu"]


def test_it_follows_the_spring_forward_in_new_york(running_campaign):
    campaign = running_campaign(window_start=dt.time(8), window_end=dt.time(21))
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"))

    # 12:30 UTC is 07:30 EST on Saturday 7 March 2026 but 08:30 EDT on Sunday 8 March, after the change.
    assert claimed_zones(campaign, dt.datetime(2026, 3, 7, 12, 30, tzinfo=UTC)) == []
    assert claimed_zones(campaign, dt.datetime(2026, 3, 8, 12, 30, tzinfo=UTC)) == ["America/New_York"]


def test_it_follows_the_fall_back_in_new_york(running_campaign):
    campaign = running_campaign(window_start=dt.time(8), window_end=dt.time(21))
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York"))

    # After 1 November 2026 New York is UTC-5: 02:00 UTC is 21:00 local (closed), 01:30 UTC is 20:30 (open).
    assert claimed_zones(campaign, dt.datetime(2026, 11, 2, 2, 0, tzinfo=UTC)) == []
    assert claimed_zones(campaign, dt.datetime(2026, 11, 2, 1, 30, tzinfo=UTC)) == ["America/New_York"]


def test_it_follows_british_summer_time_in_london(running_campaign):
    campaign = running_campaign(window_start=dt.time(8), window_end=dt.time(21))
    factories.hopper_entry(campaign, factories.lead(timezone="Europe/London"))

    assert claimed_zones(campaign, dt.datetime(2026, 3, 28, 7, 30, tzinfo=UTC)) == []  # 07:30 GMT
    assert claimed_zones(campaign, dt.datetime(2026, 3, 29, 7, 30, tzinfo=UTC)) == ["Europe/London"]  # 08:30 BST


def test_a_lead_in_several_zones_is_called_only_when_all_of_them_are_inside(running_campaign):
    campaign = running_campaign(window_start=dt.time(8), window_end=dt.time(21))
    factories.hopper_entry(campaign, factories.lead(timezone="America/New_York,America/Los_Angeles"))

    assert claimed_zones(campaign, dt.datetime(2026, 6, 10, 12, 30, tzinfo=UTC)) == []  # 08:30 NY, 05:30 LA
    assert claimed_zones(campaign, dt.datetime(2026, 6, 11, 1, 30, tzinfo=UTC)) == []  # 21:30 NY, 18:30 LA
    assert claimed_zones(campaign, dt.datetime(2026, 6, 10, 16, 0, tzinfo=UTC)) == [
        "America/New_York,America/Los_Angeles"
    ]


def test_a_lead_without_a_zone_is_called_only_when_the_campaign_names_a_default(running_campaign):
    noon_chicago = at("America/Chicago", 2026, 6, 10, 12, 0)
    without_default = running_campaign()
    factories.hopper_entry(without_default, factories.lead(timezone=""))
    assert claimed_zones(without_default, noon_chicago) == []

    with_default = running_campaign(default_timezone="America/Chicago")
    factories.hopper_entry(with_default, factories.lead(timezone=""))
    assert claimed_zones(with_default, at("America/Chicago", 2026, 6, 10, 7, 0)) == []
    assert claimed_zones(with_default, noon_chicago) == [""]


def test_a_lead_in_an_unknown_zone_is_never_called(running_campaign):
    campaign = running_campaign(default_timezone="America/Chicago")
    factories.hopper_entry(campaign, factories.lead(timezone="Mars/Olympus_Mons"))

    for hour in range(24):
        assert claimed_zones(campaign, dt.datetime(2026, 6, 10, hour, tzinfo=UTC)) == []


ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # half-hour DST shift
    "America/New_York,Europe/London",
    "America/Los_Angeles,Pacific/Honolulu",
    "",
)


def test_a_sweep_of_every_quarter_hour_across_dst_changes_never_claims_outside(running_campaign):
    campaign = running_campaign(
        calling_days=[0, 1, 2, 3, 4, 5], window_start=dt.time(6), window_end=dt.time(23), default_timezone="Asia/Tokyo"
    )
    for zone in ZONES:
        factories.hopper_entry(campaign, factories.lead(timezone=zone))
    claimed, violations = 0, []
    start = dt.datetime(2026, 3, 6, 0, 0, tzinfo=UTC)  # spans the US change on 8 March
    for step in itertools.count():
        now = start + dt.timedelta(minutes=15 * step)
        if now > dt.datetime(2026, 3, 10, tzinfo=UTC):
            break
        with time_machine.travel(now, tick=False):
            ids = claim_due_leads(campaign.pk, now, dispatch=None)
        for zone_value in Call.objects.filter(pk__in=ids).values_list("lead__timezone", flat=True):
            claimed += 1
            for name in (zone_value or "Asia/Tokyo").split(","):
                local = now.astimezone(ZoneInfo(name))
                if not (dt.time(8) <= local.time() < dt.time(21)) or local.weekday() == 6:
                    violations.append((now.isoformat(), name, local.isoformat()))
        Call.objects.filter(pk__in=ids).update(status=Call.Status.COMPLETED, finalized_at=now)  # calls end
        CampaignLead.objects.filter(campaign=campaign).update(state=CampaignLead.State.PENDING, attempts=0)

    assert violations == []
    assert claimed > 100  # the sweep really dialed: every zone had open hours in it
