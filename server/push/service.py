"""The push services of one process, built from settings: config, channels, dispatcher, socket hub."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from server.config import Settings
from server.kv import KV
from server.push.channels import Channel
from server.push.channels.app_push import AppPushChannel
from server.push.channels.websocket import WebSocketChannel
from server.push.channels.wechat import WeChatChannel
from server.push.config import APP_PUSH, WEBSOCKET, WECHAT, PushConfig
from server.push.dispatcher import Dispatcher, DispatchSettings
from server.push.hub import Hub, cancel
from server.push.queue import RetryPolicy
from server.push.texts import Texts
from server.vendors.getui import GetuiClient
from server.vendors.wechat_messages import WeChatMessages


def push_config(settings: Settings) -> PushConfig:
    provider = None if settings.app_push_provider == "none" else settings.app_push_provider
    return PushConfig.build(Texts.load(settings.knowledge_dir), settings.wechat_templates, provider)


def dispatch_settings(settings: Settings) -> DispatchSettings:
    return DispatchSettings(
        batch_size=settings.push_batch_size,
        concurrency=settings.push_concurrency,
        lease_seconds=settings.push_lease_seconds,
        poll_seconds=settings.push_poll_seconds,
        retry=RetryPolicy(
            settings.push_max_attempts, settings.push_backoff_base_seconds, settings.push_backoff_max_seconds
        ),
    )


def build_channels(
    settings: Settings, config: PushConfig, kv: KV, http: httpx.AsyncClient
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {WEBSOCKET: WebSocketChannel(kv)}
    wechat = WeChatMessages(
        http,
        kv,
        settings.wechat_base_url,
        settings.wechat_appid,
        settings.wechat_secret,
        settings.wechat_miniprogram_state,
    )
    channels[WECHAT] = WeChatChannel(wechat, config, settings.timezone)
    if config.app_push_provider == "getui":
        channels[APP_PUSH] = AppPushChannel(
            GetuiClient(
                http, kv, settings.getui_base_url, settings.getui_app_key, settings.getui_master_secret
            )
        )
    return channels


@dataclass
class PushServices:
    config: PushConfig
    kv: KV
    http: httpx.AsyncClient
    dispatcher: Dispatcher
    hub: Hub
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _background: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, kv: KV) -> PushServices:
        config = push_config(settings)
        http = httpx.AsyncClient(timeout=settings.vendor_timeout_seconds, follow_redirects=False)
        channels = build_channels(settings, config, kv, http)
        dispatcher = Dispatcher(channels, kv, dispatch_settings(settings))
        return cls(
            config, kv, http, dispatcher, Hub(kv, settings.ws_max_queued, settings.ws_heartbeat_seconds)
        )

    def start(self, run_dispatcher: bool) -> None:
        self.hub.start()
        if run_dispatcher:
            self._task = asyncio.create_task(self.dispatcher.run(self._stop))

    def keep(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` in the background until the services stop."""
        self._background.append(asyncio.create_task(work))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._background:
            await cancel(task)
        if self._task:
            # Let the current batch finish and be recorded (a batch cut short is retaken after its lease).
            done, _ = await asyncio.wait({self._task}, timeout=10)
            if not done:
                await cancel(self._task)
        await self.hub.stop()
        await self.http.aclose()
