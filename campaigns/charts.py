"""Geometry for the inline SVG charts on the campaign page (drawn server-side; the browser needs no library)."""
from __future__ import annotations

from dataclasses import dataclass

from .stats import LATENCY_BUDGET_MS, DayLatency, Stage


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float
    y: float
    width: float


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    track_width: float
    bars: list[Bar]

    @property
    def middle(self) -> float:
        return self.bar_height / 2

    @property
    def value_x(self) -> float:
        return self.label_width + self.track_width + 12


def funnel_chart(stages: list[Stage], width: int = 480, bar_height: int = 40, gap: int = 14) -> FunnelChart:
    """One bar per stage, as wide as the share of all leads that reached it."""
    label_width = 130
    room = width - label_width - 110
    bars = [
        Bar(s.label, s.count, s.percent, i * (bar_height + gap), max(room * s.percent / 100, 2 if s.count else 0))
        for i, s in enumerate(stages)
    ]
    height = len(stages) * (bar_height + gap) - gap
    return FunnelChart(width, max(height, bar_height), label_width, bar_height, room, bars)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Point:
    x: float
    p50_y: float
    p95_y: float
    label: str
    p50: float
    p95: float


@dataclass(frozen=True)
class LatencyChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    budget_y: float
    budget_ms: int
    ticks: list[Tick]
    points: list[Point]
    p50_path: str
    p95_path: str


def latency_chart(days: list[DayLatency], width: int = 1040, height: int = 260) -> LatencyChart:
    """p50 and p95 per day as two lines, with the latency budget as a dashed rule."""
    left, top, right, bottom = 52, 16, width - 16, height - 32
    highest = max([LATENCY_BUDGET_MS, *(d.p95 for d in days)])
    step = 200 if highest <= 1200 else 500
    ceiling = (int(highest * 1.1) // step + 1) * step

    def y_of(ms: float) -> float:
        return round(bottom - (bottom - top) * ms / ceiling, 1)

    span = right - left
    points = [
        Point(
            round(left + span * (i + 0.5) / len(days), 1),
            y_of(d.p50),
            y_of(d.p95),
            d.day.strftime("%d %b"),
            d.p50,
            d.p95,
        )
        for i, d in enumerate(days)
    ]
    p50 = " ".join(f"{p.x},{p.p50_y}" for p in points)
    p95 = " ".join(f"{p.x},{p.p95_y}" for p in points)
    ticks = [Tick(v, y_of(v)) for v in range(0, ceiling + 1, step)]
    return LatencyChart(
        width, height, left, right, top, bottom, y_of(LATENCY_BUDGET_MS), LATENCY_BUDGET_MS, ticks, points, p50, p95
    )
