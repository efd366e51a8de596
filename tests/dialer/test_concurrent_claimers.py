"""Claimers racing on PostgreSQL (threads, each with its own connection) never double-claim or pass the cap."""
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
