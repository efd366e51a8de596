"""Atomic claiming: turn due hopper rows into `Call` rows, never more than the campaign may have in flight.

Claimers of one campaign serialize on the campaign row (so the concurrency cap holds whatever runs in
parallel); hopper rows are taken with `FOR UPDATE SKIP LOCKED` so nothing else that holds a row waits.

One person, one call: a lead with an active call in any campaign is not claimed (`NOT IN` the active
calls' leads). Claimers of different campaigns sharing leads cannot both win: the calls are inserted with
`ON CONFLICT DO NOTHING` against the partial unique index `call_one_active_per_lead`, so the second insert
for a person waits for the first claimer's transaction and is dropped if it committed; only hopper rows
whose call was inserted are marked CLAIMED.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignLead
from crm.models import Call, DoNotCall

from . import jurisdictions, lawful, pacing, windows

log = logging.getLogger(__name__)


def _enqueue_place_call(call_ids: list[int]) -> None:
    from .tasks import place_call

    for call_id in call_ids:
        place_call.delay(call_id)


def active_lead_ids():
    """SQL: ids of leads with a call not yet finished, in any campaign. Used as `NOT IN (…)`: PostgreSQL
    hashes it once per query (a correlated NOT EXISTS can be planned as a nested loop over every active
    call per candidate row when statistics are stale: seconds per claim at 20 000 leads)."""
    return Call.objects.filter(status__in=Call.ACTIVE_STATUSES, finalized_at__isnull=True).values("lead_id")


def claim_due_leads(
    campaign_id: int,
    now: dt.datetime | None = None,
    *,
    limit: int | None = None,
    dispatch: Callable[[list[int]], None] | None = _enqueue_place_call,
) -> list[int]:
    """Claim the campaign's due leads that may be dialed now; returns the new call ids.

    Free capacity is the concurrency cap minus calls in flight, capped by `limit` and the CPS buckets.
    On commit `dispatch` receives the call ids (default: enqueue `place_call` for each; None: nothing).
    """
    now = now or timezone.now()
    lawful.derive_missing(campaign_id)
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign_id, status=Campaign.Status.RUNNING)
            .select_related("script")
            .first()
        )
        if campaign is None:
            return []
        in_flight = CampaignLead.objects.filter(campaign_id=campaign_id, state=CampaignLead.State.CLAIMED).count()
        free = campaign.max_concurrency - in_flight
        if limit is not None:
            free = min(free, limit)
        free = min(free, settings.DIALER_CLAIM_BATCH)
        if free <= 0:
            return []
        known_values = windows.hopper_timezone_values(campaign)
        tokens = pacing.take(campaign.pk, campaign.calls_per_second, free)
        if tokens <= 0:
            return []
        due = CampaignLead.objects.select_for_update(skip_locked=True, of=("self",))
        fetched = list(
            lawful.apply_to_claim(due, campaign, now)
            .filter(
                Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
                campaign_id=campaign_id,
                state__in=CampaignLead.DIALABLE_STATES,
                attempts__lt=campaign.max_attempts,
            )
            .exclude(lead__timezone__in=windows.outside_values(campaign, now, known_values))
            .exclude(lead__phone__in=DoNotCall.objects.values("phone"))
            .exclude(lead_id__in=active_lead_ids())
            .order_by(F("next_attempt_at").asc(nulls_first=True), "id")
            .values_list("id", "lead_id", "attempts", "lead__timezone", "lead__jurisdiction")[:tokens]
        )
        rows = _judge_unseen(campaign, now, fetched, known_values)
        created = _insert_calls(campaign, rows) if rows else {}
        rows = [r for r in rows if r[0] in created]
        if len(rows) < tokens:
            pacing.refund(campaign.pk, campaign.calls_per_second, tokens - len(rows))
        if not rows:
            return []
        CampaignLead.objects.filter(id__in=[r[0] for r in rows]).update(
            state=CampaignLead.State.CLAIMED, attempts=F("attempts") + 1, claimed_at=now, updated_at=now
        )
        call_ids = [created[r[0]] for r in rows]
        if dispatch is not None:
            transaction.on_commit(lambda: dispatch(call_ids))
    return call_ids


def _judge_unseen(
    campaign: Campaign, now: dt.datetime, fetched: list[tuple[int, int, int, str, str]], known_values: list[str]
) -> list[tuple[int, int, int]]:
    """The fetched (row id, lead id, attempts, timezone, jurisdiction) that may be dialed at `now`, as
    (row id, lead id, attempts).

    The claim SQL excludes what the per-process caches know to be outside the window or forbidden by a state
    rule; a timezone or (timezone, jurisdiction) pair the caches have not seen yet (a lead imported or edited
    since) passed unfiltered and is judged here, then noted so later claims filter it in SQL.
    """
    known = set(known_values)
    known_pairs = set(lawful.hopper_pairs(campaign))
    new_values: set[str] = set()
    new_pairs: set[tuple[str, str]] = set()
    allowed = []
    for row_id, lead_id, attempts, zone_value, code in fetched:
        if zone_value not in known:
            new_values.add(zone_value)
            if not windows.timezone_value_inside(zone_value, campaign, now):
                continue
        if code in jurisdictions.RULES and (zone_value, code) not in known_pairs:
            new_pairs.add((zone_value, code))
            if not jurisdictions.allows(code, lawful.lead_zones(zone_value, campaign), now):
                continue
        allowed.append((row_id, lead_id, attempts))
    if new_values:
        windows.note_timezone_values(campaign.pk, new_values)
    if new_pairs:
        lawful.note_pairs(campaign.pk, new_pairs)
    return allowed


def _insert_calls(campaign: Campaign, rows: list[tuple[int, int, int]]) -> dict[int, int]:
    """Insert a QUEUED call per (hopper row, lead, attempts); returns {hopper row id: call id} of those
    inserted. A person who has an active call (another campaign's claimer just won) gets none."""
    Call.objects.bulk_create(
        (
            Call(
                campaign_id=campaign.pk,
                campaign_lead_id=row_id,
                lead_id=lead_id,
                script_version=campaign.active_script_version,
                attempt=attempts + 1,
                provider=settings.TELEPHONY,
                status=Call.Status.QUEUED,
            )
            for row_id, lead_id, attempts in rows
        ),
        ignore_conflicts=True,
    )
    # The rows were dialable, so their only open call is the one just inserted.
    return dict(
        Call.objects.filter(
            campaign_lead_id__in=[r[0] for r in rows], status=Call.Status.QUEUED, finalized_at__isnull=True
        ).values_list("campaign_lead_id", "pk")
    )


def retire_undialable(campaign_id: int) -> int:
    """Move rows that can never be dialed again out of the dialable states: on do-not-call, or out of attempts."""
    campaign = Campaign.objects.get(pk=campaign_id)
    dialable = CampaignLead.objects.filter(campaign_id=campaign_id, state__in=CampaignLead.DIALABLE_STATES)
    moved = dialable.filter(lead__phone__in=DoNotCall.objects.values("phone")).update(
        state=CampaignLead.State.DO_NOT_CALL, last_outcome=Call.Outcome.BLOCKED
    )
    moved += dialable.filter(attempts__gte=campaign.max_attempts).update(state=CampaignLead.State.EXHAUSTED)
    return moved


def tick(now: dt.datetime | None = None) -> int:
    """One dialer beat: claim for every running campaign; a campaign with nothing left completes itself."""
    from . import heartbeat
    from .controls import complete_if_done

    now = now or timezone.now()
    heartbeat.beat(now)
    claimed = 0
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.RUNNING).values_list("pk", flat=True):
        got = len(claim_due_leads(campaign_id, now))
        claimed += got
        if not got:
            complete_if_done(campaign_id)
    return claimed
