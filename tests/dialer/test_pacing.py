"""Pacing: no more dials per second than the campaign's rate and the account's, shared by every worker."""
import pytest
import time_machine

from dialer import pacing
from dialer.claims import claim_due_leads
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)


def claim(campaign):
    with time_machine.travel(NOON_NY, tick=False):
        return claim_due_leads(campaign.pk, NOON_NY, dispatch=None)


def test_a_burst_never_exceeds_one_tick_of_the_campaigns_rate(running_campaign, settings):
    settings.DIALER_TICK_SECONDS = 200  # slow rates, long tick: no refill while the test runs
    campaign = running_campaign(calls_per_second=0.03)
    for _ in range(20):
        factories.hopper_entry(campaign)

    assert len(claim(campaign)) == 6
    assert claim(campaign) == []


def test_the_account_limit_is_shared_by_every_campaign(running_campaign, settings):
    settings.TWILIO_CPS_LIMIT = 0.02
    settings.DIALER_TICK_SECONDS = 200
    pacing.reset(0)
    first, second = running_campaign(), running_campaign()
    for campaign in (first, second):
        for _ in range(5):
            factories.hopper_entry(campaign)

    assert len(claim(first)) + len(claim(second)) == 4


def test_unused_tokens_are_given_back(running_campaign, settings):
    settings.DIALER_TICK_SECONDS = 100
    campaign = running_campaign(calls_per_second=0.05)
    factories.hopper_entry(campaign)
    assert len(claim(campaign)) == 1
    for _ in range(10):
        factories.hopper_entry(campaign)

    assert len(claim(campaign)) == 4


@pytest.mark.parametrize("pacer_kind", ["local", "redis"])
def test_two_workers_share_one_bucket(pacer_kind, settings):
    if pacer_kind == "redis" and not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    make = (lambda: pacing.RedisPacer(settings.REDIS_URL)) if pacer_kind == "redis" else None
    worker_a = make() if make else pacing.LocalPacer()
    worker_b = make() if make else worker_a  # in-process: one bucket per process by design
    bucket = pacing.Bucket("parley:pace:test:shared", rate=0.001)  # refills ~never during the test
    settings.DIALER_TICK_SECONDS = 10_000  # capacity 10
    worker_a.reset([bucket])

    granted = [worker_a.take([bucket], 4), worker_b.take([bucket], 4), worker_a.take([bucket], 4)]

    assert granted == [4, 4, 2]
