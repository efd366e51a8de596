"""The rehearsal side channel delivers a callee's words to the STT of its call, even when it subscribes late."""
import asyncio
import uuid

import pytest
from django.conf import settings

from voice.sim import captions


async def _exchange() -> list[int]:
    sid = "CA" + uuid.uuid4().hex
    await captions.publish(sid, {"utterance": 1, "start_chunk": 5, "words": [["hello", 0, 300]]})
    received: list[int] = []

    async def listen() -> None:
        async for caption in captions.subscribe(sid):
            received.append(caption["utterance"])
            if len(received) == 2:
                return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.2)  # the second caption goes out while the subscriber is listening
    await captions.publish(sid, {"utterance": 2, "start_chunk": 90, "words": [["bye", 0, 200]]})
    await asyncio.wait_for(listener, timeout=5)
    await captions.forget(sid)
    return received


def test_in_process_captions_arrive_in_order_backlog_first(settings):
    settings.REDIS_URL = ""
    assert asyncio.run(_exchange()) == [1, 2]


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_captions_through_redis_arrive_in_order_backlog_first():
    assert asyncio.run(_exchange()) == [1, 2]
