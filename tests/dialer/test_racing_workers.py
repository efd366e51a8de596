"""Workers racing on PostgreSQL (threads, each with its own connection): no double claim, no double dial, cap held."""
import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection, connections

from campaigns.models import CampaignLead
from crm.models import Call
from dialer.claims import claim_due_leads
from tests import factories

from .conftest import at

NOON_NY = at("America/New_York", 2026, 6, 10, 12, 0)
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED races need PostgreSQL (SQLite serializes writers)")


def race(campaign, claimers: int, batch: int) -> list[int]:
    claimed: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(claimers)

    def claimer() -> None:
        try:
            start.wait()
            while True:
                ids = claim_due_leads(campaign.pk, NOON_NY, limit=batch, dispatch=None)
                if not ids:
                    return
                with lock:
                    claimed.extend(ids)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer) for _ in range(claimers)]
    with time_machine.travel(NOON_NY, tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    return claimed


def test_racing_claimers_claim_every_lead_exactly_once(running_campaign):
    campaign = running_campaign(max_concurrency=10_000)
    for _ in range(300):
        factories.hopper_entry(campaign)

    claimed = race(campaign, claimers=8, batch=7)

    per_lead = Counter(Call.objects.filter(pk__in=claimed).values_list("lead_id", flat=True))
    assert len(claimed) == 300 and set(per_lead.values()) == {1}


def test_racing_claimers_never_pass_the_concurrency_cap(running_campaign):
    campaign = running_campaign(max_concurrency=25)
    for _ in range(200):
        factories.hopper_entry(campaign)

    claimed = race(campaign, claimers=8, batch=4)

    assert len(claimed) == 25
    assert CampaignLead.objects.filter(campaign=campaign, state=CampaignLead.State.CLAIMED).count() == 25


def test_the_same_call_placed_by_racing_workers_is_dialed_once(running_campaign, settings):
    from dialer import placing
    from tests.emulators.twilio_rest import TwilioEmulator

    emulator = TwilioEmulator().start()
    settings.TELEPHONY, settings.TWILIO_API_BASE_URL = "twilio", emulator.base_url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = emulator.account_sid, emulator.auth_token
    campaign = running_campaign()
    factories.hopper_entry(campaign)
    with time_machine.travel(NOON_NY, tick=False):
        [call_id] = claim_due_leads(campaign.pk, NOON_NY, dispatch=None)
    results, start = [], threading.Barrier(6)

    def worker() -> None:
        try:
            start.wait()
            results.append(placing.place_call(call_id, NOON_NY))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    emulator.stop()

    assert sorted(results) == ["dialed"] + ["skipped"] * 5
    assert len(emulator.creates()) == 1


def test_claimers_of_two_campaigns_sharing_leads_never_both_win_a_person(running_campaign):
    first, second = running_campaign(max_concurrency=10_000), running_campaign(max_concurrency=10_000)
    for _ in range(150):
        entry = factories.hopper_entry(first)
        factories.hopper_entry(second, entry.lead)
    claimed: list[int] = []
    lock, start = threading.Lock(), threading.Barrier(8)

    def claimer(campaign) -> None:
        try:
            start.wait()
            while ids := claim_due_leads(campaign.pk, NOON_NY, limit=5, dispatch=None):
                with lock:
                    claimed.extend(ids)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claimer, args=(c,)) for c in [first, second] * 4]
    with time_machine.travel(NOON_NY, tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    per_lead = Counter(Call.objects.filter(pk__in=claimed).values_list("lead_id", flat=True))
    assert len(per_lead) == 150 and set(per_lead.values()) == {1}
