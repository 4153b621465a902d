"""The push domain on both backends: outbox rows written with the state change, claimed, sent through
the fake vendors (500 then 200, timeouts, 43101, 47003, stale tokens), retried, dead-lettered."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
from tortoise.transactions import in_transaction

from server.config import Settings
from server.kv import create_kv
from server.models import Delivery, Device, Notification, WeChatSubscription
from server.push import NewNotification, message_user, notify, preferences, queue
from server.push.errors import CriticalCategory
from server.push.frames import WS_CHANNEL, fanout_message, parse_fanout
from server.push.service import PushServices
from server.vendors.wechat_messages import fit_value
from tests.fakes.push import TEMPLATE_ID, getui, new_user, push_db, wechat_push

USES_FIXTURES = (getui, push_db, wechat_push)


@pytest.fixture
async def push(push_db: Settings) -> AsyncIterator[PushServices]:
    kv = create_kv(push_db.redis_url, prefix=push_db.redis_key_prefix)
    services = PushServices.build(push_db, kv)
    yield services
    await services.http.aclose()
    await kv.close()


def note(user_id: str, category: str = "accepted", **data: str) -> NewNotification:
    values = {"item": "结婚登记", "receipt_no": "SQ2026120100001", "department": "民政局", **data}
    rendered_title = f"{values['item']}已受理"
    return NewNotification(
        user_id=user_id,
        category=category,
        title=rendered_title,
        body="民政局已受理您的“结婚登记”。",
        application_id="app-1",
        data=values,
    )


async def written(push: PushServices, new: NewNotification) -> Notification | None:
    async with in_transaction() as conn:
        return await notify(conn, push.config, new)


async def drain(push: PushServices, rounds: int = 40) -> None:
    """Run the dispatcher until nothing is due or leased (retries are due within milliseconds here)."""
    for _ in range(rounds):
        await push.dispatcher.run_once()
        if not await Delivery.filter(status__in=("pending", "sending")).exists():
            return
        await asyncio.sleep(0.06)
    raise AssertionError("deliveries still pending")


async def until(condition, timeout: float = 10) -> None:
    """Wait for `condition()` to hold (checked every 20 ms), failing after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def with_channels(openid: str | None = None, *client_ids: str, credits: int = 1):
    """A citizen with a WeChat consent and phones; ids get a unique suffix (the fakes outlive tests)."""
    suffix = uuid.uuid4().hex[:6]
    openid = f"{openid}-{suffix}" if openid else None
    client_ids = tuple(f"{client_id}-{suffix}" for client_id in client_ids)
    user = await new_user(openid)
    if openid:
        await WeChatSubscription.create(
            user_id=user.id, template_id=TEMPLATE_ID, kind="one_time", credits=credits
        )
    for n, client_id in enumerate(client_ids):
        await Device.create(
            id=f"{user.id[:20]}d{n}",
            user_id=user.id,
            provider="getui",
            client_id=client_id,
            platform="android",
        )
    return user


async def test_notify_writes_one_delivery_per_channel_target_and_uses_a_credit(push) -> None:
    user = await with_channels("o-alice-1", "cid-alice-phone-1", "cid-alice-pad-1")
    first = await written(push, note(user.id))
    assert first is not None and first.seq == 1
    rows = await Delivery.filter(notification_id=first.id).order_by("id")
    assert sorted(r.channel for r in rows) == ["app_push", "app_push", "websocket", "wechat"]
    assert len({r.idempotency_key for r in rows}) == 4
    assert (await WeChatSubscription.get(user_id=user.id)).credits == 0
    second = await written(push, note(user.id))
    assert second is not None and second.seq == 2
    channels = [r.channel for r in await Delivery.filter(notification_id=second.id)]
    assert "wechat" not in channels  # the one-time credit was used by the first


async def test_notification_and_rows_roll_back_with_the_state_change(push) -> None:
    user = await with_channels("o-bob-1")
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await notify(conn, push.config, note(user.id))
            raise RuntimeError("the state change failed")
    assert not await Notification.filter(user_id=user.id).exists()
    assert not await Delivery.filter(user_id=user.id).exists()
    assert (await WeChatSubscription.get(user_id=user.id)).credits == 1  # the credit is back too


async def test_dedup_key_makes_a_repeat_a_no_op(push) -> None:
    user = await new_user()
    keyed = NewNotification(user.id, "accepted", "t", "b", dedup_key="event:dept:1")
    assert await written(push, keyed) is not None
    assert await written(push, keyed) is None
    assert await Notification.filter(user_id=user.id).count() == 1


async def test_preferences_switch_channels_off_but_never_a_critical_category(push) -> None:
    user = await with_channels("o-carol-1", "cid-carol-phone-1", credits=5)
    await preferences.update(
        push.config, user.id, [("accepted", "app_push", False), ("accepted", "websocket", False)]
    )
    quiet = await written(push, note(user.id))
    assert [r.channel for r in await Delivery.filter(notification_id=quiet.id)] == ["wechat"]
    with pytest.raises(CriticalCategory):
        await preferences.update(push.config, user.id, [("needs_correction", "wechat", False)])
    matrix = {row["category"]: row for row in await preferences.matrix(push.config, user.id)}
    assert matrix["accepted"]["channels"] == {"websocket": False, "wechat": True, "app_push": False}
    assert matrix["needs_correction"]["critical"] is True


async def test_dispatcher_sends_every_channel_once_with_the_vendor_keys(push, getui, wechat_push) -> None:
    user = await with_channels("o-dave-1", "cid-dave-phone-1")
    connection = push.hub.register(user.id)
    push.hub.start()
    try:
        await asyncio.sleep(0.05)  # the hub's subscription is live before anything is published
        sent = await written(push, note(user.id, item="不动产登记(二手房转移登记及水电气网联动过户)"))
        await drain(push)
        frame = await connection.next_frame(5)
    finally:
        await push.hub.stop()
    assert frame is not None and f'"id":{sent.id}' in frame and '"type":"notification"' in frame
    rows = {r.channel: r for r in await Delivery.filter(notification_id=sent.id)}
    assert {r.status for r in rows.values()} == {"sent"}
    app_key = rows["app_push"].idempotency_key
    assert getui[1].delivered_count[app_key] == 1
    pushed = getui[1].delivered[app_key]
    device = await Device.get(user_id=user.id)
    assert pushed["audience"] == {"cid": [device.client_id]} and pushed["request_id"] == app_key
    message = wechat_push[1].delivered[f"{user.openid}:{sent.id}"]
    assert message["touser"] == user.openid and message["template_id"] == TEMPLATE_ID
    assert message["data"]["thing1"]["value"] == "不动产登记(二手房转移登记及水电气网联…"  # cut to 20
    assert message["data"]["phrase2"]["value"] == "已受理"
    assert message["data"]["character_string5"]["value"] == "SQ2026120100001"


async def test_a_claimed_batch_of_socket_rows_is_one_kv_message_each_citizen_gets_theirs(push) -> None:
    ann, bob = await new_user(), await new_user()
    anns, bobs = push.hub.register(ann.id), push.hub.register(bob.id)
    messages: list[str] = []

    async def overhear() -> None:
        async for message in push.kv.subscribe(WS_CHANNEL):
            messages.append(message)

    listener = asyncio.create_task(overhear())
    push.hub.start()
    try:
        await asyncio.sleep(0.05)  # both subscriptions are live before anything is published
        notes = [await written(push, note(user.id)) for user in (ann, bob, ann)]
        assert await push.dispatcher.run_once() == 3
        await until(lambda: len(messages) == 1)
        got_ann = [await anns.next_frame(5), await anns.next_frame(5)]
        got_bob = await bobs.next_frame(5)
    finally:
        await push.hub.stop()
        listener.cancel()
    assert [f'"id":{notes[0].id}' in got_ann[0], f'"id":{notes[2].id}' in got_ann[1]] == [True, True]
    assert got_bob is not None and f'"id":{notes[1].id}' in got_bob
    assert [(user_id, seq) for user_id, seq, _ in parse_fanout(messages[0])] == [
        (ann.id, 1),
        (bob.id, 1),
        (ann.id, 2),
    ]
    rows = await Delivery.filter(channel="websocket", user_id__in=[ann.id, bob.id])
    assert sorted(r.status for r in rows) == ["sent"] * 3


async def test_a_batch_the_kv_refuses_is_retried_row_by_row_later(push_db: Settings) -> None:
    with socket.socket() as probe:  # a port nothing listens on: every publish fails to connect
        probe.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
    kv = create_kv(dead)
    services = PushServices.build(push_db, kv)
    try:
        user = await new_user()
        await written(services, note(user.id))
        await written(services, note(user.id))
        assert await services.dispatcher.run_once() == 2
    finally:
        await services.http.aclose()
        await kv.close()
    rows = await Delivery.filter(user_id=user.id, channel="websocket")
    assert [(r.status, r.error_code, r.attempts) for r in rows] == [("pending", "internal_error", 1)] * 2


def test_fanout_messages_carry_many_frames_and_stop_at_a_malformed_one() -> None:
    frames = [("u1", 3, '{"type":"notification","notification":{"body":"第一行\\n第二行"}}'), ("u2", 1, "{}")]
    assert parse_fanout(fanout_message(frames)) == frames
    assert parse_fanout(fanout_message(frames[:1]) + "\nu3\nnot-a-seq\n{}") == frames[:1]
    assert parse_fanout("") == [] and parse_fanout("u1\n5") == []


async def test_500_then_200_and_a_timeout_are_retried_with_backoff_and_delivered_once(push, getui) -> None:
    user = await with_channels(None, "cid-flaky-eve-1", "cid-slow-eve-1")
    sent = await written(push, note(user.id))
    await push.dispatcher.run_once()
    rows = {r.target: r for r in await Delivery.filter(notification_id=sent.id, channel="app_push")}
    retried = [r for r in rows.values() if r.status == "pending"]
    assert {r.error_code for r in retried} == {"http_500", "timeout"}
    assert all(r.attempts == 1 for r in retried)
    await drain(push)
    for row in await Delivery.filter(notification_id=sent.id, channel="app_push"):
        assert row.status == "sent" and row.attempts == 2
        assert getui[1].delivered_count[row.idempotency_key] == 1
    slow = rows[f"{user.id[:20]}d1"]
    # 个推 got the timed-out push too; the retry carried the same request_id, so the phone got it once.
    assert slow.error_code == "timeout"
    await until(lambda: getui[1].requests[slow.idempotency_key] == 2)
    assert getui[1].delivered_count[slow.idempotency_key] == 1


async def test_43101_is_not_retried_and_forgets_the_consent(push, wechat_push) -> None:
    user = await with_channels("o-unsub-frank-1", credits=3)
    sent = await written(push, note(user.id))
    await drain(push)
    row = await Delivery.get(notification_id=sent.id, channel="wechat")
    assert (row.status, row.error_code, row.attempts) == ("failed", "not_subscribed", 1)
    assert (await WeChatSubscription.get(user_id=user.id)).credits == 0
    assert [d.id for d in await queue.dead_letters(user.id)] == [row.id]


async def test_47003_is_recorded_with_the_field_wechat_names(push_db, wechat_push) -> None:
    # A misconfigured template: the phone number key filled with something that is no number.
    data = {"thing1": "{item}", "phone_number2": "{item}"}
    templates = {"accepted": {"template_id": TEMPLATE_ID, "data": data}}
    settings = push_db.model_copy(update={"wechat_templates": templates})
    kv = create_kv(settings.redis_url, prefix=settings.redis_key_prefix)
    services = PushServices.build(settings, kv)
    try:
        user = await with_channels("o-grace-1")
        async with in_transaction() as conn:
            sent = await notify(conn, services.config, note(user.id))
        await drain(services)
    finally:
        await services.http.aclose()
        await kv.close()
    row = await Delivery.get(notification_id=sent.id, channel="wechat")
    assert (row.status, row.error_code, row.error) == ("failed", "invalid_field", "phone_number2")


async def test_a_stale_access_token_is_refreshed_once(push, wechat_push) -> None:
    user = await with_channels("o-heidi-1", credits=2)
    await written(push, note(user.id))
    await drain(push)
    issued = wechat_push[1].tokens_issued
    wechat_push[1].revoke_tokens()  # e.g. another system fetched a token with force_refresh
    again = await written(push, note(user.id))
    await drain(push)
    row = await Delivery.get(notification_id=again.id, channel="wechat")
    assert row.status == "sent" and row.attempts == 1
    assert wechat_push[1].tokens_issued == issued + 1


async def test_exhausted_retries_are_dead_letters_retried_by_command(push_db, push) -> None:
    broken = push_db.model_copy(update={"getui_base_url": "http://127.0.0.1:9/v2/x"})
    kv = create_kv(broken.redis_url, prefix=broken.redis_key_prefix)
    unreachable = PushServices.build(broken, kv)
    user = await with_channels(None, "cid-ivan-phone-1")
    sent = await written(push, note(user.id))
    try:
        for _ in range(broken.push_max_attempts):
            await unreachable.dispatcher.run_once()
            await asyncio.sleep(0.06)
    finally:
        await unreachable.http.aclose()
        await kv.close()
    row = await Delivery.get(notification_id=sent.id, channel="app_push")
    assert (row.status, row.attempts, row.error_code) == ("dead", 3, "token_unreachable")
    assert await queue.retry([row.id]) == 1
    await drain(push)
    assert (await Delivery.get(id=row.id)).status == "sent"


async def test_a_lost_lease_is_claimed_again_and_the_old_claim_cannot_write(push) -> None:
    user = await new_user()
    await written(push, note(user.id))
    first_token, first = await queue.claim(10, lease_seconds=0.05)
    assert [d.channel for d in first] == ["websocket"]
    assert (await queue.claim(10, lease_seconds=0.05))[1] == []  # leased: nobody else takes it
    await asyncio.sleep(0.1)
    second_token, second = await queue.claim(10, lease_seconds=30)
    assert [d.id for d in second] == [first[0].id] and second[0].attempts == 2
    from server.vendors.outcome import Outcome

    await queue.record(first_token, [(first[0], Outcome.sent())], push.dispatcher.settings.retry)
    assert (await Delivery.get(id=first[0].id)).status == "sending"  # the stale claim changed nothing
    await queue.record(second_token, [(second[0], Outcome.sent())], push.dispatcher.settings.retry)
    assert (await Delivery.get(id=first[0].id)).status == "sent"


async def test_concurrent_claims_never_share_a_row(push) -> None:
    user = await new_user()
    for _ in range(30):
        await written(push, note(user.id))
    claims = await asyncio.gather(*(queue.claim(8, 30) for _ in range(6)))
    ids = [d.id for _, rows in claims for d in rows]
    assert len(ids) == len(set(ids)) == 30


async def test_a_conversation_id_with_a_phone_like_digit_run_is_kept(push) -> None:
    user = await new_user()
    cid = "e3ea91c811131526109e24a353449023"  # 11131526109 reads like a mobile number
    async with in_transaction() as conn:
        sent = await message_user(conn, push.config, user.id, "您好", conversation_id=cid)
    assert sent is not None and sent.data["conversation_id"] == cid


async def test_an_operator_message_is_a_notification_of_its_own(push) -> None:
    user = await new_user()
    async with in_transaction() as conn:
        sent = await message_user(
            conn, push.config, user.id, "您好,材料已收到,请放心。", conversation_id="c-9"
        )
    assert sent.category == "message" and sent.body == "您好,材料已收到,请放心。"
    assert sent.data["conversation_id"] == "c-9" and sent.application_id is None


def test_template_values_are_cut_cleanly_to_wechat_limits() -> None:
    assert fit_value("thing3", "一" * 25) == "一" * 19 + "…"
    assert fit_value("thing3", "短") == "短"
    assert fit_value("phrase2", "需要补正材料") == "需要补正材"
    assert fit_value("phrase2", "OK通过") == "通过"
    assert fit_value("name1", "张三丰" * 5) == "张三丰张三丰张三丰张"
    assert fit_value("name1", "Zhang San Feng Junior") == "Zhang San Feng Junio"
    assert fit_value("character_string5", "SQ2026-受理-0001") == "SQ2026--0001"
    assert fit_value("number2", "12,345.6元") == "12345.6"
    assert fit_value("phone_number4", "0571-8888 8888 转 123") == "0571-8888 8888  1"[:17]
    assert fit_value("thing1", "😀" * 21) == "😀" * 19 + "…"  # whole characters, never half a pair
