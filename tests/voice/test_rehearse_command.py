"""`manage.py rehearse --json` runs calls through the dialer and the voice loop and reports what happened."""
import io
import json

from django.core.management import call_command

from campaigns.models import Campaign
from campaigns.stats import latency_by_day
from dialer import pacing, windows
from tests import factories

from .calls import zone_in_daytime


def test_rehearse_prints_the_outcomes_and_latencies_as_json(transactional_db, settings):
    settings.TWILIO_CPS_LIMIT = 1000
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    windows.forget_cached_zones()
    pacing.get_pacer().reset([pacing.account_bucket()])
    campaign = factories.campaign(status=Campaign.Status.DRAFT, calls_per_second=100)
    for persona in ("busy", "not_interested"):
        factories.hopper_entry(campaign, factories.lead(timezone=zone_in_daytime(), attributes={"persona": persona}))
    pacing.reset(campaign.pk)
    out = io.StringIO()

    call_command("rehearse", campaign=campaign.slug, calls=2, json=True, stdout=out)

    report = json.loads(out.getvalue())
    assert report["calls"] == 2
    assert report["outcomes"] == {"busy": 1, "not_interested": 1}
    assert report["meetings_booked"] == 0 and report["turns"] >= 4
    assert report["v2v_ms"]["p50"] > 300  # measured on real turns (the emulated vendors alone take 390 ms)
    assert set(report["overhead_ms"]) == {"p50", "p95"}
    # The console's counts are the pages' counts: every turn (call pages), timed agent turns (latency table).
    assert report["turns"] == report["agent_turns"] + report["caller_turns"]
    assert report["timed_agent_turns"] == sum(day.turns for day in latency_by_day(campaign)) > 0


def _quick_rehearsal_settings(settings) -> None:
    settings.TWILIO_CPS_LIMIT = 1000
    settings.SIM_TELEPHONY_RING_SECONDS = 0
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    windows.forget_cached_zones()
    pacing.get_pacer().reset([pacing.account_bucket()])


def test_a_rehearsal_leaves_the_campaign_paused_with_its_other_leads_waiting(transactional_db, settings):
    _quick_rehearsal_settings(settings)
    campaign = factories.campaign(status=Campaign.Status.DRAFT, calls_per_second=100)
    for _ in range(3):
        factories.hopper_entry(campaign, factories.lead(timezone=zone_in_daytime(), attributes={"persona": "busy"}))
    pacing.reset(campaign.pk)

    out = io.StringIO()
    call_command("rehearse", campaign=campaign.slug, calls=1, stdout=out)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED  # a dialer started later must not carry on with the rest
    assert "The campaign is paused again: 3 leads wait." in out.getvalue()  # 2 new, 1 busy to retry

    call_command("rehearse", campaign=campaign.slug, calls=1, json=True, stdout=io.StringIO())  # resumes it
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    assert campaign.calls.count() == 2


def test_a_rehearsal_of_a_running_campaign_leaves_it_running(transactional_db, settings):
    _quick_rehearsal_settings(settings)
    campaign = factories.campaign(status=Campaign.Status.RUNNING, calls_per_second=100)
    for _ in range(2):
        factories.hopper_entry(campaign, factories.lead(timezone=zone_in_daytime(), attributes={"persona": "busy"}))
    pacing.reset(campaign.pk)

    call_command("rehearse", campaign=campaign.slug, calls=1, json=True, stdout=io.StringIO())
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
