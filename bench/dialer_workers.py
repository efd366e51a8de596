"""The dialer benchmark's worker processes (bench/dialer.py, bench/dialer_chaos.py): their environment, the
claim-race worker, and the full-run workers that claim and place calls as the Celery tasks would.

Spawned, so each sets up Django itself from the environment `bench_env` builds.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import production_settings
from bench.dialer_chaos import WORKER_APP_NAME


def bench_env(args: argparse.Namespace, twilio=None) -> dict[str, str]:
    """The environment the benchmark and its workers run in: simulated telephony with `args`' ring and hold (or,
    with `twilio`, the Twilio REST emulator behind the real adapter, for --chaos), eager Celery, short sweeper
    limits."""
    url = os.environ["DATABASE_URL"]
    sep = "&" if "?" in url else "?"
    chaos = {}
    if twilio is not None:
        chaos = {
            "TELEPHONY": "twilio",
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "TWILIO_HTTP_TIMEOUT_SECONDS": "1.0",
        }
    return chaos | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url if "conn_max_age" in url else f"{url}{sep}conn_max_age=600",
        "TELEPHONY": chaos.get("TELEPHONY", "sim"),
        "SIM_TELEPHONY_PERSONA": "answer_and_hold",
        "SIM_TELEPHONY_CALLBACKS": "direct",
        "SIM_TELEPHONY_RING_SECONDS": str(args.ring),
        "SIM_TELEPHONY_HOLD_SECONDS": str(args.hold),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "TWILIO_CPS_LIMIT": "1000000",
        "DIALER_CLAIM_BATCH": str(max(args.batch, args.race_batch)),
        "DIALER_ZONE_CACHE_SECONDS": "5",
        "DIALER_STALE_QUEUED_SECONDS": "10",
        "DIALER_STALE_DIALING_SECONDS": "3",
        "DIALER_STALE_CALL_SECONDS": "5",
        "DIALER_STALE_MEDIA_SECONDS": "5",
        "DIALER_SWEEP_BATCH": "2000",
        "PUBLIC_BASE_URL": "https://bench.parley.invalid",
        "LOG_LEVEL": "WARNING",
    }


def setup_django(env: dict[str, str]) -> None:
    """Set up Django in this process with `env` (from `bench_env`) as production runs it."""
    os.environ.update(env)
    production_settings()
    import django

    django.setup()


def racer(campaign_id: int, env: dict[str, str], start, results, batch: int) -> None:
    """A claim-race worker process: after `start`, claim `batch` leads at a time until none is due; puts
    (claimed, began, ended) on `results`."""
    setup_django(env)
    from django.db import connection

    from dialer.claims import claim_due_leads

    connection.ensure_connection()
    claimed = 0
    start.wait()
    began = time.time()
    while ids := claim_due_leads(campaign_id, dispatch=None, limit=batch):
        claimed += len(ids)
    results.put((claimed, began, time.time()))


def worker(index: int, campaign_ids: list[int], env: dict[str, str], stop, batch: int) -> None:
    """A full-run worker process: claim from `campaign_ids` in turn and place each call, until `stop` is set or its
    parent is gone; then up to 30 s for its simulated lines to finish."""
    os.environ["PGAPPNAME"] = WORKER_APP_NAME  # libpq: lets the chaos run find these connections
    setup_django(env)
    from django.db import DatabaseError, InterfaceError, close_old_connections, connections

    from dialer import placing
    from dialer.claims import claim_due_leads
    from voice.telephony.base import TelephonyError

    parent = os.getppid()
    turn = index
    while not stop.is_set() and os.getppid() == parent:
        turn += 1
        campaign_id = campaign_ids[turn % len(campaign_ids)]
        close_old_connections()  # as Celery's Django fixup does around each task
        try:
            ids = claim_due_leads(campaign_id, dispatch=None, limit=batch)
            if not ids:
                time.sleep(0.02)
                continue
            for call_id in ids:
                try:
                    placing.place_call(call_id)
                except TelephonyError:
                    pass  # left QUEUED; the sweeper releases it
        except (DatabaseError, InterfaceError):  # the connection was terminated under us: reconnect
            connections.close_all()
    deadline = time.monotonic() + 30  # let this worker's simulated lines finish
    from voice.telephony import get_telephony

    lines = getattr(get_telephony(), "in_flight", lambda: 0)  # simulated telephony plays lines in-process
    while lines() and time.monotonic() < deadline:
        time.sleep(0.05)


@contextmanager
def running_workers(campaign_ids: list[int], env: dict[str, str], count: int, batch: int) -> Iterator[list]:
    """`count` spawned `worker` processes claiming (`batch` leads at most) from `campaign_ids` and placing the
    calls while the block runs; at its end each is told to stop, given 60 s to finish its lines, then killed."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    procs = [ctx.Process(target=worker, args=(i, campaign_ids, env, stop, batch)) for i in range(count)]
    for p in procs:
        p.start()
    try:
        yield procs
    finally:
        stop.set()
        for p in procs:
            p.join(60)
            if p.is_alive():
                p.kill()
