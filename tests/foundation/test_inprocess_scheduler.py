"""`make serve` alone dials: without a broker the web process runs the dialer's beat (tick, sweep) itself."""
import asyncio
import threading
import time

import pytest
from django.db import connection

from campaigns.models import Campaign
from config.asgi import application
from crm.models import Call
from dialer import inprocess, pacing, windows
from tests import factories
from voice.telephony import get_telephony


def _scheduler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("inprocess-") and t.is_alive()]


async def _lifespan(*messages: str) -> list[str]:
    inbox = iter([{"type": m} for m in messages])
    sent: list[str] = []

    async def receive():
        return next(inbox)

    async def send(message):
        sent.append(message["type"])

    await application({"type": "lifespan"}, receive, send)
    return sent


@pytest.mark.parametrize(
    ("mode", "redis_url", "expected"),
    [
        ("auto", "", True),
        ("auto", "redis://127.0.0.1:6379/0", False),
        ("on", "redis://127.0.0.1:6379/0", True),
        ("off", "", False),
    ],
)
def test_it_runs_when_there_is_no_broker_unless_told_otherwise(settings, mode, redis_url, expected):
    settings.DIALER_INPROCESS = mode
    settings.REDIS_URL = redis_url
    assert inprocess.enabled() is expected


def test_it_runs_the_tasks_beat_runs_at_beat_intervals(settings):
    jobs = inprocess.beat_jobs()
    assert [(j.task, j.seconds) for j in jobs] == [
        (entry["task"], float(entry["schedule"])) for entry in settings.CELERY_BEAT_SCHEDULE.values()
    ]
    assert {"dialer.tasks.tick", "dialer.tasks.sweep"} <= {j.task for j in jobs}


@pytest.mark.django_db(transaction=True)
async def test_the_asgi_lifespan_starts_it_and_stops_it_at_shutdown(settings):
    settings.DIALER_INPROCESS = "on"
    inbox: asyncio.Queue = asyncio.Queue()
    sent: asyncio.Queue = asyncio.Queue()
    server = asyncio.ensure_future(application({"type": "lifespan"}, inbox.get, sent.put))

    await inbox.put({"type": "lifespan.startup"})
    assert (await asyncio.wait_for(sent.get(), 10))["type"] == "lifespan.startup.complete"
    assert {t.name for t in _scheduler_threads()} == {f"inprocess-{name}" for name in settings.CELERY_BEAT_SCHEDULE}

    await inbox.put({"type": "lifespan.shutdown"})
    assert (await asyncio.wait_for(sent.get(), 15))["type"] == "lifespan.shutdown.complete"
    await asyncio.wait_for(server, 5)
    assert _scheduler_threads() == []


@pytest.mark.django_db(transaction=True)
async def test_without_it_the_lifespan_starts_no_thread(settings):
    settings.DIALER_INPROCESS = "off"
    assert await _lifespan("lifespan.startup", "lifespan.shutdown") == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert _scheduler_threads() == []


@pytest.fixture
def sim_line(settings, live_server, eager_celery):
    settings.TELEPHONY = "sim"
    settings.PUBLIC_BASE_URL = live_server.url
    settings.SIM_TELEPHONY_CALLBACKS = "http"
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    windows.forget_cached_zones()
    telephony = get_telephony()
    yield telephony
    deadline = time.monotonic() + 10  # let the last callback's request finish before the database is reset
    while telephony.in_flight() and time.monotonic() < deadline:
        time.sleep(0.01)


def _connections_to_test_database() -> int:
    """Backends open on the test database; 0 on SQLite, which has no server to count them (PostgreSQL in CI)."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_started_campaign_is_dialed_and_settled_with_only_the_scheduler_running(sim_line):
    campaign = factories.campaign(status=Campaign.Status.RUNNING, calls_per_second=100, max_concurrency=10)
    pacing.reset(campaign.pk)
    zone = factories.open_zone(campaign)  # the scheduler ticks on the real clock
    for _ in range(3):
        factories.hopper_entry(campaign, factories.lead(timezone=zone, attributes={"persona": "no_answer"}))
    before = _connections_to_test_database()

    scheduler = inprocess.InProcessScheduler().start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if Call.objects.filter(campaign=campaign, finalized_at__isnull=False).count() == 3:
                break
            time.sleep(0.05)
    finally:
        stopped = scheduler.stop()

    assert stopped
    calls = Call.objects.filter(campaign=campaign)
    assert sorted(calls.values_list("outcome", flat=True)) == ["no_answer"] * 3
    assert {e["status"] for c in calls for e in c.status_events} >= {"initiated", "ringing", "no-answer"}
    # Every scheduler thread closed its connection. The live server's thread answering the last status callback
    # holds one until its request ends, so wait for the line to be idle, then for the count (bounded).
    deadline = time.monotonic() + 10
    while (sim_line.in_flight() or _connections_to_test_database() > before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _connections_to_test_database() <= before
