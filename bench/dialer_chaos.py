"""The dialer benchmark's fault injection (`python -m bench.dialer --chaos`): a Twilio REST emulator that
accepts a share of dials and then answers 5xx or times out, a carrier that plays every accepted call, killing
the workers' PostgreSQL connections, and the counts taken from what the emulator received.

The counts are independent of the dialer's own code: zones, hours and the state rules (FL, OK, MD: 08:00-20:00
local, at most 3 calls per 24 h) are re-implemented here on purpose.
"""
from __future__ import annotations

import datetime as dt
import heapq
import re
import threading
import time
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

WORKER_APP_NAME = "bench-dialer-worker"  # PGAPPNAME of the worker processes
STATE_RULES = {"US-FL": (8, 20, 3), "US-OK": (8, 20, 3), "US-MD": (8, 20, 3)}  # start, end hour, calls per 24 h
STATE_AREA_CODES = {"US-FL": "305", "US-OK": "405", "US-MD": "410"}
_CALL_ID = re.compile(r"/status/(\d+)/")


class Carrier:
    """Plays each call the emulator accepted: `ring + hold` seconds later it is completed (a human answered),
    the emulator's record says so and the status callback is applied as the webhook view would apply it.
    A callback that fails (database connection gone) is dropped, as a lost webhook: the sweeper reconciles
    from the emulator's record."""

    def __init__(self, emulator, seconds: float, threads: int = 3) -> None:
        self.emulator, self.seconds = emulator, seconds
        self.due: list[tuple[float, str, int]] = []
        self.cv = threading.Condition()
        self.stopped = False
        self.delivered = self.dropped = 0
        emulator.on_create = self.schedule
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def schedule(self, call) -> None:
        match = _CALL_ID.search(call.get("StatusCallback") or "")
        if match:
            with self.cv:
                heapq.heappush(self.due, (time.time() + self.seconds, call.sid, int(match.group(1))))
                self.cv.notify()

    def pending(self) -> int:
        with self.cv:
            return len(self.due)

    def __enter__(self) -> Carrier:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        with self.cv:
            self.stopped = True
            self.cv.notify_all()
        for t in self.threads:
            t.join(10)

    def _run(self) -> None:
        from django.db import connection

        from dialer.call_status import apply_status

        try:
            while True:
                with self.cv:
                    while not self.stopped and (not self.due or self.due[0][0] > time.time()):
                        self.cv.wait(timeout=max(0.01, self.due[0][0] - time.time()) if self.due else 0.5)
                    if self.stopped:
                        return
                    _, sid, call_id = heapq.heappop(self.due)
                record = self.emulator.calls[sid]
                status = record.status if record.status in ("completed", "canceled") else "completed"
                duration = max(1, round(self.seconds))
                self.emulator.set_state(sid, status, duration=duration, answered_by="human")
                params = {"CallSid": sid, "CallStatus": status, "CallDuration": str(duration), "AnsweredBy": "human"}
                try:
                    apply_status(call_id, params)
                    self.delivered += 1
                except Exception:  # noqa: BLE001 - a lost webhook; the sweeper reconciles
                    self.dropped += 1
                    connection.close()
        finally:
            connection.close()


def terminate_worker_connections() -> int:
    """pg_terminate_backend every PostgreSQL backend of the workers (by application_name); returns how many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER_APP_NAME],
        )
        return int(cursor.fetchone()[0])


def _inside(zone_value: str, at: dt.datetime, start: int, end: int, days: list[int]) -> bool:
    for name in zone_value.split(","):
        local = at.astimezone(ZoneInfo(name))
        if not (start <= local.hour < end) or local.weekday() not in days:
            return False
    return True


def count(emulator, leads: dict[str, tuple[str, str]], days: list[int], window: tuple[int, int]) -> dict:
    """Counts from what the emulator received. `leads`: phone -> (timezone value, jurisdiction)."""
    creates = emulator.creates()
    per_call: Counter[int] = Counter()
    per_number: dict[str, list[float]] = defaultdict(list)
    outside_window = outside_jurisdiction = 0
    for r in creates:
        to = r.field("To") or ""
        match = _CALL_ID.search(r.field("StatusCallback") or "")
        if match:
            per_call[int(match.group(1))] += 1
        per_number[to].append(r.at)
        zone, code = leads.get(to, ("UTC", ""))
        at = dt.datetime.fromtimestamp(r.at, dt.UTC)
        if not _inside(zone, at, window[0], window[1], days):
            outside_window += 1
        if code in STATE_RULES:
            start, end, cap = STATE_RULES[code]
            recent = sum(1 for t in per_number[to] if r.at - 86400 < t <= r.at)
            if not _inside(zone, at, start, end, days) or recent > cap:
                outside_jurisdiction += 1
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for call in list(emulator.calls.values()):
        intervals[call.get("To") or ""].append((call.created, call.ended or float("inf")))
    concurrent = 0
    for spans in intervals.values():
        spans.sort()
        busy_until = float("-inf")
        for start, end in spans:
            if start < busy_until:
                concurrent += 1
            busy_until = max(busy_until, end)
    return {
        "provider_calls": len(creates),
        "accepted_then_failed": len(emulator.accepted_then_failed),
        "double_dials": sum(n - 1 for n in per_call.values() if n > 1),
        "concurrent_same_number": concurrent,
        "outside_window": outside_window,
        "outside_jurisdiction": outside_jurisdiction,
        "dialed_call_ids": list(per_call),
    }


def run_full(args, twilio, leads: list, dialable: int, env: dict[str, str], log) -> dict:
    """The full phase under faults: two campaigns sharing leads, workers claiming from both, the emulator
    failing a share of accepted dials, one worker SIGKILLed, worker connections terminated at 20/50/80 %."""
    import os
    import signal

    from bench import dialer as base
    from bench.dialer_workers import running_workers
    from campaigns.models import CampaignLead
    from crm.models import Call, Lead
    from dialer import pacing
    from dialer.sweeper import sweep

    base.ARGS = args  # run as __main__, bench.dialer is a second copy of the module
    shared = [lead for i, lead in enumerate(leads) if i % 100 < args.shared * 100]
    first = base.make_campaign(base.SLUG, leads, concurrency=args.concurrency)
    second = base.make_campaign(f"{base.SLUG}-b", shared, concurrency=args.concurrency)
    campaigns = [first, second]
    for campaign_id in campaigns:
        pacing.reset(campaign_id)
    twilio.hold_seconds = 1.5  # past the adapter's 1 s timeout
    twilio.chaos(args.chaos_share, ("5xx", "timeout"))
    carrier = Carrier(twilio, args.ring + args.hold)
    log(f"chaos run: {args.workers} workers, campaigns {campaigns} ({len(shared)} shared leads)")
    killed, terminated, marks, swept = None, [], [0.2, 0.5, 0.8], Counter()
    hopper = CampaignLead.objects.filter(campaign_id__in=campaigns)
    started = time.time()
    with carrier, running_workers(campaigns, env, args.workers, args.batch) as procs:  # workers first
        last_calls, last_progress = 0, time.monotonic()
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            time.sleep(1.0)
            for k, v in sweep().items():
                swept[k] += v
            calls = Call.objects.filter(campaign_id__in=campaigns).count()
            in_flight = hopper.filter(state=CampaignLead.State.CLAIMED).count()
            if calls != last_calls:
                last_calls, last_progress = calls, time.monotonic()
            if killed is None and args.workers > 1 and calls >= args.kill_at * dialable:
                os.kill(procs[1].pid, signal.SIGKILL)
                procs[1].join()
                killed = {"pid": procs[1].pid, "at_calls": calls}
                log(f"SIGKILL worker pid {procs[1].pid} after {calls} calls")
            while marks and calls >= marks[0] * dialable:
                marks.pop(0)
                terminated.append(terminate_worker_connections())
                log(f"pg_terminate_backend: {terminated[-1]} worker connections after {calls} calls")
            log(f"calls={calls} in_flight={in_flight} carrier={carrier.pending()} swept={dict(swept)}")
            idle = time.monotonic() - last_progress > (3 if calls else 60)  # workers take a while to start
            if in_flight == 0 and carrier.pending() == 0 and idle:
                break
    people = Lead.objects.filter(last_name=base.SLUG).values_list("phone", "timezone", "jurisdiction")
    result = count(twilio, {str(p): (z, j or "") for p, z, j in people}, list(range(7)), base.WINDOW)
    dialed = result.pop("dialed_call_ids")
    calls = Call.objects.filter(campaign_id__in=campaigns)
    finalized = set(
        calls.filter(pk__in=dialed, finalized_at__isnull=False).exclude(outcome="").values_list("pk", flat=True)
    )
    stuck = hopper.filter(state=CampaignLead.State.CLAIMED).count()
    ends = calls.filter(finalized_at__isnull=False).order_by("-finalized_at").values_list("finalized_at", flat=True)
    last_end = ends.first()
    result.update(
        {
            "claims": calls.count(),
            "finalized": len(finalized),
            "stuck_hopper_rows": stuck,
            "lost_outcomes": sum(1 for i in dialed if i not in finalized) + stuck,
            "calls_per_s": round(len(finalized) / max(1e-6, last_end.timestamp() - started), 1) if last_end else 0.0,
            "killed": killed,
            "terminated_connections": terminated,
            "swept": dict(swept),
            "carrier": {"delivered": carrier.delivered, "dropped": carrier.dropped},
            "outcomes": dict(Counter(calls.values_list("outcome", flat=True))),
        }
    )
    return result
