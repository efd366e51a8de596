"""A provider that failed is skipped by new calls for the cool-down, then serves again; shared through Redis."""
from __future__ import annotations

import time

import pytest

from voice.providers import health


@pytest.fixture(params=["redis", "memory"])
def shared(request, settings):
    """Health kept in Redis (REDIS_URL, when the run has one) or in this process's memory."""
    if request.param == "memory":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("no REDIS_URL in this run")
    health.reset()
    yield request.param
    health.reset()


def test_a_failed_provider_goes_last_for_the_cool_down_then_recovers(settings, shared):
    settings.VOICE_PROVIDER_COOLDOWN_S = 1

    health.mark_failed("tts", "cartesia", "socket dropped")

    assert health.order("tts", ["cartesia", "elevenlabs"]) == ["elevenlabs", "cartesia"]
    assert health.order("stt", ["cartesia", "deepgram"]) == ["cartesia", "deepgram"]  # per layer
    deadline = time.monotonic() + 5
    while health.order("tts", ["cartesia", "elevenlabs"])[0] != "cartesia":
        assert time.monotonic() < deadline, "cartesia never recovered"
        time.sleep(0.05)


def test_with_every_provider_down_the_configured_order_stands(settings, shared):
    health.mark_failed("llm", "openai", "429")
    health.mark_failed("llm", "anthropic", "529")

    assert health.order("llm", ["openai", "anthropic"]) == ["openai", "anthropic"]


def test_another_process_sees_the_mark_through_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("no REDIS_URL in this run")
    health.reset()
    health.mark_failed("llm", "openai", "503")
    health._local.clear()  # as another voice process would be: no mark of its own
    health._read_cache.clear()

    assert health.down("llm", ["openai", "anthropic"]) == {"openai"}
    health.reset()
