"""The call-event bus on its own: delivery on the subscriber's loop, from any thread, in-process or over Redis,
and a defined outcome when Redis does not answer."""
from __future__ import annotations

import asyncio
import os
import threading

import pytest

from voice import call_events

with_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


async def _receive_one(call_id: int, send) -> tuple[str, dict]:
    got: asyncio.Queue = asyncio.Queue()
    ready = call_events.subscribe(call_id, lambda event, data: got.put_nowait((event, data)))
    await asyncio.wait_for(ready, 5)
    thread = threading.Thread(target=send)  # a webhook's thread, not the loop's
    thread.start()
    try:
        return await asyncio.wait_for(got.get(), 5)
    finally:
        thread.join(5)
        call_events.unsubscribe(call_id)


def test_without_redis_an_event_from_another_thread_reaches_the_handler(settings):
    settings.REDIS_URL = ""
    heard = asyncio.run(_receive_one(41, lambda: call_events.publish(41, "amd", answered_by="machine_start")))
    assert heard == ("amd", {"answered_by": "machine_start"})


def test_an_event_for_a_call_nobody_hosts_reports_false(settings):
    settings.REDIS_URL = ""
    assert call_events.publish(424242, "hangup") is False


@with_redis
def test_over_redis_the_event_arrives_once_subscribed_and_publish_counts_the_host():
    result: list[bool] = []
    heard = asyncio.run(_receive_one(43, lambda: result.append(call_events.publish(43, "hangup"))))
    assert heard == ("hangup", {}) and result == [True]


@with_redis
def test_channels_are_namespaced_by_database(settings):
    assert call_events.channel(7).startswith(f"parley:{settings.DATABASES['default']['NAME']}:call:")


def test_when_redis_does_not_answer_the_event_is_delivered_in_process(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    heard = asyncio.run(_receive_one(44, lambda: call_events.publish(44, "hangup")))
    assert heard == ("hangup", {})


@with_redis
@pytest.mark.parametrize("gap_s", [0.0, 0.0005, 0.001, 0.002, 0.005])
def test_a_call_registered_while_the_subscriber_connects_still_gets_its_events(gap_s):
    async def scenario() -> list:
        got: asyncio.Queue = asyncio.Queue()
        first = call_events.subscribe(51, lambda event, data: None)
        await asyncio.sleep(gap_s)
        second = call_events.subscribe(52, lambda event, data: got.put_nowait(event))
        try:
            await asyncio.wait_for(asyncio.gather(first, second), 1.0)  # confirmed, not the 2 s give-up
            await asyncio.to_thread(call_events.publish, 52, "hangup")
            return [await asyncio.wait_for(got.get(), 2)]
        finally:
            call_events.unsubscribe(51)
            call_events.unsubscribe(52)

    assert asyncio.run(scenario()) == ["hangup"]
