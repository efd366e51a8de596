"""Dialer benchmark: worker processes claim and place a campaign's leads on PostgreSQL through simulated telephony.

    DATABASE_URL=postgres://… REDIS_URL=redis://… python -m bench.dialer --leads 20000 --workers 4 --json

Workers are plain `multiprocessing` processes (spawned, bench/dialer_workers.py), not Celery workers: they loop
over the functions the Celery tasks call. Two phases on the same leads:

1. Claim race: the workers call `dialer.claims.claim_due_leads` concurrently until nothing is due, nothing
   placed. `claims_per_s` = claims / wall-clock seconds of the race; every lead must be claimed exactly once.
2. Full run: each worker loops claim (a small batch) -> `dialer.placing.place_call` for each call. Simulated
   telephony (persona `answer_and_hold`: rings, answers, AMD human, hangs up after a short hold; no media) plays
   each line on a background loop in the worker that dialed it and delivers signed status/AMD callbacks through
   the real webhook views in-process; `completed` leads to `finalize_call`. One worker is killed with SIGKILL
   part-way; the parent runs the sweeper every second, which releases the dead worker's unplaced claims and
   reconciles its dialed calls from the simulated provider's ledger. `calls_per_s` is this phase's end-to-end
   rate (claim + dial + callbacks + finalize), bound by CPU on a small machine.

Double dials and outside-window dials are counted from the provider's ledger (what it actually received) with
an independent zoneinfo check; lost outcomes are dials whose call never got a finalized outcome plus leads left
claimed. The last line is JSON.

`--chaos` (bench/dialer_chaos.py) runs the full phase against the Twilio REST emulator through the real Twilio
adapter instead: the emulator accepts `--chaos-share` of the dials and then answers 500 or holds the answer
past the adapter's timeout; a carrier thread completes every accepted call and applies its status callback; a
second campaign holds `--shared` of the same leads; 15 % of the leads have FL/OK/MD numbers and sit in zones
where it is 20:00-21:00 when there are such zones (the campaigns' window runs to 21:00); one worker is
SIGKILLed and the workers' PostgreSQL connections are terminated (pg_terminate_backend) three times.
double_dials counts provider calls per Parley call beyond one; concurrent_same_number counts provider calls
to a number that overlap another; stuck_hopper_rows counts rows left CLAIMED.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import Counter
from zoneinfo import ZoneInfo

from bench.dialer_chaos import STATE_AREA_CODES
from bench.dialer_workers import bench_env, racer, running_workers, setup_django

SLUG = "bench-dialer"
PHONE_PREFIX = "+1999"
ZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Sao_Paulo", "Atlantic/Azores", "Europe/London", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka",
    "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Noumea", "Pacific/Auckland",
)  # fmt: skip
WINDOW = (8, 21)


def inside(zone_value: str, at: dt.datetime, days: list[int]) -> bool:
    """Independent of dialer.windows: every zone of the lead at 08:00 <= local < 21:00 on a calling day."""
    for name in zone_value.split(","):
        local = at.astimezone(ZoneInfo(name))
        if not (WINDOW[0] <= local.hour < WINDOW[1]) or local.weekday() not in days:
            return False
    return True


def clear() -> None:
    from campaigns.models import Campaign, CampaignLead
    from crm.models import Call, DoNotCall, Lead

    Call.objects.filter(campaign__slug__startswith=SLUG).delete()
    CampaignLead.objects.filter(campaign__slug__startswith=SLUG).delete()
    Campaign.objects.filter(slug__startswith=SLUG).delete()
    from django.db.models import Q

    bench_leads = Lead.objects.filter(Q(last_name=SLUG) | Q(phone__startswith=PHONE_PREFIX))  # and older runs
    DoNotCall.objects.filter(phone__in=bench_leads.values("phone")).delete()
    bench_leads.delete()


def make_campaign(slug: str, leads: list, concurrency: int) -> int:
    from campaigns.models import Campaign, CampaignLead, Script
    from campaigns.scripts import save_new_version

    script, created = Script.objects.get_or_create(slug=SLUG, defaults={"name": "Bench script"})
    if created:
        save_new_version(script, publish=True, instructions="Bench.", opening_line="Hi, an AI assistant here.")
    campaign = Campaign.objects.create(
        name=slug, slug=slug, script=script, caller_id="+14155550100", status=Campaign.Status.RUNNING,
        calling_days=list(range(7)), window_start=dt.time(WINDOW[0]), window_end=dt.time(WINDOW[1]),
        max_concurrency=concurrency, calls_per_second=ARGS.cps, max_attempts=3,
    )  # fmt: skip
    CampaignLead.objects.bulk_create((CampaignLead(campaign=campaign, lead=lead) for lead in leads), batch_size=5000)
    return campaign.pk


def seed(leads: int) -> tuple[list, int]:
    """`leads` leads: most in zones open now, some closed, some multi-zone (one zone closed), some on DNC."""
    from django.db import transaction
    from django.utils import timezone

    from crm.models import DoNotCall, Lead

    clear()
    from dialer.jurisdictions import for_lead

    days = list(range(7))
    now = timezone.now() + dt.timedelta(minutes=2)  # zones that stay open for the run
    open_zones = [z for z in ZONES if inside(z, now, days) and inside(z, timezone.now(), days)]
    closed_zones = [z for z in ZONES if not inside(z, now, days) and not inside(z, timezone.now(), days)]
    evening = [z for z in open_zones if now.astimezone(ZoneInfo(z)).hour == 20] or open_zones
    states = list(STATE_AREA_CODES.values())
    rows, dnc = [], []
    for i in range(leads):
        kind = i % 100
        if ARGS.chaos and kind < 15:  # FL/OK/MD numbers, in 20:00-21:00 zones when there are any
            zone = evening[i % len(evening)]
            phone = f"+1{states[i % len(states)]}{2000000 + i:07d}"
        elif kind < 85:
            zone = open_zones[i % len(open_zones)]
        elif kind < 95:
            zone = closed_zones[i % len(closed_zones)]
        elif kind < 98:
            zone = f"{open_zones[i % len(open_zones)]},{closed_zones[i % len(closed_zones)]}"
        else:
            zone = open_zones[i % len(open_zones)]
        if not (ARGS.chaos and kind < 15):
            phone = f"{PHONE_PREFIX}{i:07d}"
        rows.append(
            Lead(phone=phone, first_name="Bench", last_name=SLUG, timezone=zone, jurisdiction=for_lead(phone, {}))
        )
        if kind >= 98:
            dnc.append(DoNotCall(phone=phone, source=DoNotCall.Source.IMPORT))
    with transaction.atomic():
        created_leads = Lead.objects.bulk_create(rows, batch_size=5000)
        DoNotCall.objects.bulk_create(dnc, batch_size=5000)
    dialable = sum(1 for i in range(leads) if i % 100 < 85)
    return created_leads, dialable


def claim_race(leads: list, env: dict[str, str]) -> dict:
    from django.db.models import Count

    from campaigns.models import Campaign, CampaignLead
    from crm.models import Call
    from dialer import pacing

    campaign_id = make_campaign(f"{SLUG}-race", leads, concurrency=len(leads))
    pacing.reset(campaign_id)
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(ARGS.workers + 1), ctx.Queue()
    race_args = (campaign_id, env, start, results, ARGS.race_batch)
    procs = [ctx.Process(target=racer, args=race_args) for _ in range(ARGS.workers)]
    for p in procs:
        p.start()
    start.wait()
    outcomes = [results.get(timeout=ARGS.timeout) for _ in procs]
    for p in procs:
        p.join()
    claims = sum(o[0] for o in outcomes)
    seconds = max(o[2] for o in outcomes) - min(o[1] for o in outcomes)
    twice = (
        Call.objects.filter(campaign_id=campaign_id).values("lead_id").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    Call.objects.filter(campaign_id=campaign_id).delete()  # never placed: not for the sweeper to release
    CampaignLead.objects.filter(campaign_id=campaign_id).delete()
    Campaign.objects.filter(pk=campaign_id).update(status=Campaign.Status.STOPPED)
    return {"claims": claims, "seconds": round(seconds, 3), "per_s": round(claims / seconds, 1), "double_claims": twice}


def measure(campaign_id: int, started: float) -> dict:
    from django.db.models import Max, Min

    from campaigns.models import Campaign, CampaignLead
    from crm.models import Call, Lead
    from voice.telephony import get_telephony

    campaign = Campaign.objects.get(pk=campaign_id)
    calls = Call.objects.filter(campaign_id=campaign_id)
    span = calls.aggregate(first=Min("created_at"), last=Max("created_at"))
    claims = calls.count()
    claim_seconds = max(1e-6, (span["last"] - span["first"]).total_seconds()) if claims else 0.0
    ledger = [d for d in get_telephony().ledger.dials() if d["to"].startswith(PHONE_PREFIX)]
    zones = {str(p): z for p, z in Lead.objects.filter(phone__startswith=PHONE_PREFIX).values_list("phone", "timezone")}
    per_number = Counter(d["to"] for d in ledger)
    outside = sum(
        1
        for d in ledger
        if not inside(zones[d["to"]], dt.datetime.fromtimestamp(d["at"], dt.UTC), campaign.calling_days)
    )
    dialed_ids = [d["call_id"] for d in ledger]
    finalized = set(
        calls.filter(pk__in=dialed_ids, finalized_at__isnull=False).exclude(outcome="").values_list("pk", flat=True)
    )
    stuck = CampaignLead.objects.filter(campaign_id=campaign_id, state=CampaignLead.State.CLAIMED).count()
    from crm.models import DoNotCall

    on_dnc = DoNotCall.objects.filter(phone__startswith=PHONE_PREFIX).values_list("phone", flat=True)
    dnc_numbers = {str(p) for p in on_dnc}
    placed = [d["at"] for d in ledger]
    ends = calls.filter(finalized_at__isnull=False).aggregate(last=Max("finalized_at"))["last"]
    return {
        "claims": claims,
        "claim_seconds": round(claim_seconds, 2),
        "dials": len(ledger),
        "dials_per_s": round(len(ledger) / max(1e-6, max(placed) - min(placed)), 1) if placed else 0.0,
        "finalized": len(finalized),
        "end_to_end_s": round((ends.timestamp() - started) if ends else 0.0, 2),
        "calls_per_s": round(len(finalized) / max(1e-6, ends.timestamp() - started), 1) if ends else 0.0,
        "double_dials": sum(n - 1 for n in per_number.values() if n > 1),
        "outside_window": outside,
        "dnc_dials": sum(1 for d in ledger if d["to"] in dnc_numbers),
        "lost_outcomes": sum(1 for i in dialed_ids if i not in finalized) + stuck,
        "outcomes": dict(Counter(calls.values_list("outcome", flat=True))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Dialer benchmark on PostgreSQL with simulated telephony")
    parser.add_argument("--leads", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=20, help="max leads one claim takes in the full run")
    parser.add_argument("--race-batch", type=int, default=500, help="max leads one claim takes in the race")
    parser.add_argument("--concurrency", type=int, default=5000, help="the campaign's concurrency cap")
    parser.add_argument("--cps", type=float, default=100000, help="the campaign's calls per second")
    parser.add_argument("--ring", type=float, default=0.2, help="simulated ring seconds")
    parser.add_argument("--hold", type=float, default=0.5, help="simulated answered seconds")
    parser.add_argument("--kill-at", type=float, default=0.3, help="kill one worker after this share of claims")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--chaos", action="store_true", help="faults: see bench/dialer_chaos.py")
    parser.add_argument("--chaos-share", type=float, default=0.05, help="dials accepted then failed")
    parser.add_argument("--shared", type=float, default=0.4, help="share of leads the second campaign holds")
    global ARGS
    ARGS = args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("bench.dialer needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (workers share both).")
    twilio = None
    if args.chaos:
        from tests.emulators.twilio_rest import TwilioEmulator

        twilio = TwilioEmulator().start()
    env = bench_env(args, twilio)
    setup_django(env)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dialer import pacing
    from voice.telephony import get_telephony

    log = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else print
    leads, dialable = seed(args.leads)
    log(f"seeded {args.leads} leads ({dialable} dialable now)")
    race = claim_race(leads, env)
    log(f"claim race: {race}")
    if args.chaos:
        from bench.dialer_chaos import run_full

        result = run_full(args, twilio, leads, dialable, env, log)
        result.update({"leads": args.leads, "workers": args.workers, "claims_per_s": race["per_s"], "race": race})
        log(json.dumps(result))
        keys = (
            "leads", "claims_per_s", "double_dials", "concurrent_same_number", "outside_window",
            "outside_jurisdiction", "stuck_hopper_rows", "lost_outcomes", "calls_per_s", "provider_calls",
            "accepted_then_failed",
        )  # fmt: skip
        print(json.dumps({k: result[k] for k in keys}))
        return
    campaign_id = make_campaign(SLUG, leads, concurrency=args.concurrency)
    get_telephony().ledger.clear()
    pacing.reset(campaign_id)
    log(f"full run: {args.workers} workers claim and place")

    started = time.time()
    with running_workers([campaign_id], env, args.workers, args.batch) as procs:
        killed, swept = supervise(procs, campaign_id, dialable, log)
    result = measure(campaign_id, started)
    result.update(
        {
            "leads": args.leads,
            "dialable_now": dialable,
            "workers": args.workers,
            "claims_per_s": race["per_s"],
            "race": race,
            "killed": killed,
            "swept": dict(swept),
        }
    )
    log(json.dumps(result, indent=None if args.json else 2))
    keys = ("leads", "claims_per_s", "double_dials", "outside_window", "lost_outcomes", "calls_per_s")
    last = {k: result[k] for k in keys}
    print(json.dumps(last))


def supervise(procs: list, campaign_id: int, dialable: int, log) -> tuple[dict | None, Counter]:
    """Sweep every second, SIGKILL one worker part-way, and return once nothing is in flight or claimable."""
    from campaigns.models import CampaignLead
    from crm.models import Call
    from dialer.sweeper import sweep

    killed = None
    swept: Counter[str] = Counter()
    last_claims, last_progress = 0, time.monotonic()
    args = ARGS
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        time.sleep(1.0)
        for k, v in sweep().items():
            swept[k] += v
        claims = Call.objects.filter(campaign_id=campaign_id).count()
        in_flight = CampaignLead.objects.filter(campaign_id=campaign_id, state=CampaignLead.State.CLAIMED).count()
        if claims != last_claims:
            last_claims, last_progress = claims, time.monotonic()
        if killed is None and args.workers > 1 and claims >= args.kill_at * dialable:
            victim = procs[1]
            os.kill(victim.pid, signal.SIGKILL)
            victim.join()
            killed = {"pid": victim.pid, "at_claims": claims}
            log(f"SIGKILL worker pid {victim.pid} after {claims} claims")
        log(f"claims={claims} in_flight={in_flight} swept={dict(swept)}")
        if in_flight == 0 and time.monotonic() - last_progress > 3:
            break
    return killed, swept


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
