"""The Redis roles: the in-process stand-in and real redis-server pass the same tests."""

from __future__ import annotations

import asyncio
import uuid

from server.kv import KV, MemoryKV, create_kv
from tests.conftest import real_url


def key() -> str:
    return "test:" + uuid.uuid4().hex


async def test_set_get_delete(kv: KV) -> None:
    k = key()
    assert await kv.get(k) is None
    await kv.set(k, "值")
    assert await kv.get(k) == "值"
    await kv.delete(k)
    assert await kv.get(k) is None


async def test_get_many_answers_in_order_with_none_for_the_absent(kv: KV) -> None:
    present, absent, expiring = key(), key(), key()
    await kv.set(present, "在")
    await kv.set(expiring, "x", ttl=0.05)
    await asyncio.sleep(0.1)
    assert await kv.get_many([absent, present, expiring, present]) == [None, "在", None, "在"]
    assert await kv.get_many([]) == []


async def test_ttl_expires(kv: KV) -> None:
    k = key()
    await kv.set(k, "v", ttl=0.2)
    remaining = await kv.ttl(k)
    assert remaining is not None and 0 < remaining <= 0.2
    await asyncio.sleep(0.3)
    assert await kv.get(k) is None and await kv.ttl(k) is None


async def test_set_if_absent_is_first_writer_wins(kv: KV) -> None:
    k = key()
    assert await kv.set_if_absent(k, "a", ttl=5)
    assert not await kv.set_if_absent(k, "b", ttl=5)
    assert await kv.get(k) == "a"


async def test_incr_counts_and_keeps_first_ttl(kv: KV) -> None:
    k = key()
    assert [await kv.incr(k, ttl=0.3) for _ in range(3)] == [1, 2, 3]
    await asyncio.sleep(0.4)
    assert await kv.incr(k, ttl=0.3) == 1


async def test_concurrent_incr_loses_nothing(kv: KV) -> None:
    k = key()
    results = await asyncio.gather(*(kv.incr(k, ttl=10) for _ in range(50)))
    assert sorted(results) == list(range(1, 51))


async def test_publish_reaches_subscriber(kv: KV) -> None:
    channel = key()
    received: list[str] = []

    async def listen() -> None:
        async for message in kv.subscribe(channel):
            received.append(message)
            if message == "second":
                return

    task = asyncio.create_task(listen())
    for _ in range(50):  # wait until the subscription is live
        await asyncio.sleep(0.02)
        await kv.publish(channel, "ping")
        if received:
            break
    await kv.publish(channel, "second")
    await asyncio.wait_for(task, timeout=5)
    assert received[0] == "ping" and received[-1] == "second"


async def test_ping(kv: KV) -> None:
    assert await kv.ping()


async def test_decr_gives_back_a_count_and_never_revives_an_expired_counter(kv: KV) -> None:
    k = key()
    await kv.incr(k, ttl=0.3)
    await kv.incr(k, ttl=0.3)
    await kv.decr(k)
    assert await kv.incr(k, ttl=0.3) == 2
    await asyncio.sleep(0.4)
    await kv.decr(k)  # the counter expired: nothing is created
    assert await kv.get(k) is None and await kv.ttl(k) is None


async def test_memory_kv_drops_expired_keys_without_reading_them() -> None:
    store = MemoryKV()
    for n in range(1000):
        await store.set(f"idle:{n}", "v", ttl=0.05)
    await store.set("kept", "v", ttl=60)
    await asyncio.sleep(0.1)  # past the TTL of the idle keys; nobody reads them
    await store.set("next", "v")
    assert len(store) == 2


async def test_memory_kv_evicts_the_least_recently_used_past_its_size() -> None:
    store = MemoryKV(max_keys=100)
    for n in range(100):
        await store.set(f"k:{n}", str(n), ttl=3600)
    assert await store.get("k:0") == "0"  # used again: now the most recent
    for n in range(100, 150):
        await store.incr(f"k:{n}", ttl=3600)
    assert len(store) == 100 and store.evicted == 50
    assert await store.get("k:0") == "0" and await store.get("k:1") is None
    assert await store.get("k:149") == "1"


async def test_memory_kv_renewed_ttls_keep_its_expiry_heap_bounded() -> None:
    store = MemoryKV()
    for _ in range(20):
        for n in range(200):
            await store.set(f"conversation:{n}", "state", ttl=3600)
    assert len(store) == 200 and len(store._expiries) <= 2 * 200 + 1024


async def test_redis_key_prefix_keeps_deployments_apart() -> None:
    """Two deployments on one Redis under different prefixes share neither counters nor channels."""
    url = real_url("TEST_REDIS_URL")
    first, second = create_kv(url, prefix="a" + key() + ":"), create_kv(url, prefix="b" + key() + ":")
    try:
        assert await first.incr("limit", ttl=10) == 1
        assert await first.incr("limit", ttl=10) == 2
        assert await second.incr("limit", ttl=10) == 1
        await first.set("state", "mine")
        assert await second.get("state") is None and await first.get("state") == "mine"
        heard: list[str] = []

        async def listen() -> None:
            async for message in second.subscribe("wake"):
                heard.append(message)
                return

        task = asyncio.create_task(listen())
        for _ in range(250):  # until second's subscription is live; first's publishes never reach it
            await first.publish("wake", "other deployment")
            await second.publish("wake", "own")
            if heard:
                break
            await asyncio.sleep(0.02)
        await asyncio.wait_for(task, timeout=5)
        assert heard == ["own"]
    finally:
        await first.close()
        await second.close()
