"""Numbers managers read on the campaign pages: the funnel, outcomes, calls in flight and voice latency.

Everything is counted in SQL; percentiles use PostgreSQL's `percentile_cont` and fall back to the same
linear interpolation in Python on other databases.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from crm.models import Call, Turn

from .models import Campaign, CampaignLead

LATENCY_BUDGET_MS = 600
Outcome = Call.Outcome
# A person (not a machine) picked up and talked with the agent.
CONVERSATION_OUTCOMES = (
    Outcome.BOOKED,
    Outcome.NOT_INTERESTED,
    Outcome.CALLBACK,
    Outcome.OPT_OUT,
    Outcome.TRANSFERRED,
    Outcome.CONVERSATION,
)
ANSWERED_OUTCOMES = (*CONVERSATION_OUTCOMES, Outcome.HUNG_UP, Outcome.VOICEMAIL)
FUNNEL_STAGES = (
    ("dialed", "Dialed"),
    ("answered", "Answered"),
    ("conversations", "Conversations"),
    ("booked", "Booked"),
)


def _leads_where(condition: Q) -> Coalesce:
    """Distinct leads of the outer campaign with at least one call matching `condition`, as a subquery."""
    calls = (
        Call.objects.filter(condition, campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("lead", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(calls, output_field=IntegerField()), Value(0))


def with_progress(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotate each campaign with total leads and the leads that reached each funnel stage."""
    total = (
        CampaignLead.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("id"))
    )
    return campaigns.annotate(
        total_leads=Coalesce(Subquery(total.values("n"), output_field=IntegerField()), Value(0)),
        dialed=_leads_where(Q()),
        answered=_leads_where(Q(answered_at__isnull=False) | Q(outcome__in=ANSWERED_OUTCOMES)),
        conversations=_leads_where(Q(outcome__in=CONVERSATION_OUTCOMES)),
        booked=_leads_where(Q(outcome=Outcome.BOOKED)),
    )


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    count: int
    total: int

    @property
    def percent(self) -> float:
        return round(100 * self.count / self.total, 1) if self.total else 0.0


def funnel(campaign: Campaign) -> list[Stage]:
    """The funnel of one campaign, each stage as leads reached out of all its leads."""
    row = with_progress(Campaign.objects.filter(pk=campaign.pk)).get()
    return [Stage(key, label, getattr(row, key), row.total_leads) for key, label in FUNNEL_STAGES]


def progress_stages(campaign: Campaign) -> list[Stage]:
    """Funnel stages of a campaign already annotated by `with_progress` (for list pages)."""
    return [Stage(key, label, getattr(campaign, key), campaign.total_leads) for key, label in FUNNEL_STAGES]


@dataclass(frozen=True)
class OutcomeCount:
    outcome: str
    label: str
    count: int
    percent: float
    bar: float  # bar length, as a share of the most frequent outcome


def outcomes(campaign: Campaign) -> list[OutcomeCount]:
    """How finished calls ended, most frequent first."""
    rows = (
        Call.objects.filter(campaign=campaign)
        .exclude(outcome="")
        .order_by()
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "outcome")
    )
    total = sum(r["n"] for r in rows)
    most = max((r["n"] for r in rows), default=1)
    labels = dict(Outcome.choices)
    return [
        OutcomeCount(
            r["outcome"],
            labels.get(r["outcome"], r["outcome"]),
            r["n"],
            round(100 * r["n"] / total, 1),
            round(100 * r["n"] / most, 1),
        )
        for r in rows
    ]


def calls_in_flight(campaign: Campaign) -> QuerySet[Call]:
    return (
        Call.objects.filter(campaign=campaign, status__in=Call.ACTIVE_STATUSES)
        .select_related("lead")
        .order_by("created_at", "id")
    )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate `percentile_cont(p) WITHIN GROUP (ORDER BY expr)`."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks: the same definition as SQL's percentile_cont."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = (len(sorted_values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass(frozen=True)
class DayLatency:
    day: dt.date
    turns: int
    p50: float
    p95: float

    @property
    def over_budget(self) -> bool:
        return self.p95 > LATENCY_BUDGET_MS


def latency_by_day(campaign: Campaign, days: int = 14) -> list[DayLatency]:
    """Voice-to-voice latency of agent turns (caller stops → first audio sent), p50/p95 per day."""
    since = timezone.now() - dt.timedelta(days=days)
    turns = Turn.objects.filter(call__campaign=campaign, v2v_ms__isnull=False, created_at__gte=since).annotate(
        day=TruncDate("created_at")
    )
    if connection.vendor == "postgresql":
        rows = (
            turns.order_by()
            .values("day")
            .annotate(n=Count("id"), p50=PercentileCont("v2v_ms", 0.5), p95=PercentileCont("v2v_ms", 0.95))
            .order_by("day")
        )
        return [DayLatency(r["day"], r["n"], round(r["p50"], 1), round(r["p95"], 1)) for r in rows]
    by_day: dict[dt.date, list[float]] = {}
    for day, value in turns.order_by("day", "v2v_ms").values_list("day", "v2v_ms"):
        by_day.setdefault(day, []).append(value)
    return [
        DayLatency(day, len(values), round(percentile(values, 0.5), 1), round(percentile(values, 0.95), 1))
        for day, values in sorted(by_day.items())
    ]
