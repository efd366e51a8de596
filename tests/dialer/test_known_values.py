"""The per-process cache of a campaign's known values (hopper timezones, (timezone, jurisdiction) pairs)."""
from types import SimpleNamespace

import pytest

from dialer import known_values
from dialer.known_values import KnownValues


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(known_values, "time", SimpleNamespace(monotonic=clock))
    return clock


def reader(*batches: list[str]):
    reads = iter(batches)
    return lambda: next(reads)


def test_it_serves_the_cached_values_until_they_are_older_than_the_setting(settings, clock):
    settings.DIALER_ZONE_CACHE_SECONDS = 30
    cache: KnownValues[str] = KnownValues()
    read = reader(["America/Chicago"], ["America/Chicago", "Asia/Tokyo"])

    assert cache.get(7, read) == ["America/Chicago"]
    clock.now += 29.9
    assert cache.get(7, read) == ["America/Chicago"]
    clock.now += 0.1
    assert cache.get(7, read) == ["America/Chicago", "Asia/Tokyo"]


def test_it_reads_again_when_asked_for_fresh_values_or_when_the_setting_is_zero(settings, clock):
    settings.DIALER_ZONE_CACHE_SECONDS = 30
    cache: KnownValues[str] = KnownValues()
    read = reader(["a"], ["b"], ["c"])
    cache.get(7, read)

    assert cache.get(7, read, fresh=True) == ["b"]
    settings.DIALER_ZONE_CACHE_SECONDS = 0
    assert cache.get(7, read) == ["c"]


def test_it_adds_values_to_a_cached_campaign_only_keeping_their_age(settings, clock):
    settings.DIALER_ZONE_CACHE_SECONDS = 30
    cache: KnownValues[tuple[str, str]] = KnownValues()
    cache.get(7, lambda: [("Europe/Berlin", "DE")])
    clock.now += 20
    cache.add(7, {("America/New_York", "US-FL")})
    cache.add(8, {("America/New_York", "US-FL")})

    assert cache.get(7, reader()) == [("America/New_York", "US-FL"), ("Europe/Berlin", "DE")]
    assert cache.get(8, lambda: []) == []
    clock.now += 10
    assert cache.get(7, lambda: []) == []


def test_it_forgets_one_campaign_or_all(settings, clock):
    settings.DIALER_ZONE_CACHE_SECONDS = 30
    cache: KnownValues[str] = KnownValues()
    cache.get(7, lambda: ["a"])
    cache.get(8, lambda: ["b"])

    cache.forget(7)
    assert cache.get(7, lambda: ["a2"]) == ["a2"]
    assert cache.get(8, reader()) == ["b"]
    cache.forget()
    assert cache.get(8, lambda: ["b2"]) == ["b2"]
