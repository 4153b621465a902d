"""Settings: defaults that just work, and production refusing unsafe values."""

from __future__ import annotations

import pytest

from server.config import DEV_SECRET, Settings, SettingsError, load_settings


def test_defaults_are_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "HOST", "PORT", "WORKERS", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.is_embedded_db and settings.redis_url is None
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("WORKERS", "3")
    monkeypatch.setenv("REDIS_URL", "")
    settings = load_settings()
    assert (settings.port, settings.workers, settings.redis_url) == (9123, 3, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"redis_url": "redis://x", "database_url": "postgres://x/y"}, "SECRET_KEY"),
        ({"secret_key": "s" * 40, "database_url": "postgres://x/y"}, "REDIS_URL"),
        ({"secret_key": "s" * 40, "redis_url": "redis://x"}, "DATABASE_URL"),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict, message: str) -> None:
    settings = Settings(app_env="production", **overrides)
    with pytest.raises(SettingsError, match=message):
        settings.check_production()


def test_production_accepts_safe_settings() -> None:
    Settings(
        app_env="production",
        secret_key="s" * 40,
        redis_url="redis://x",
        database_url="postgres://x/y",
        data_encryption_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        sms_provider="tencent",
    ).check_production()
    assert DEV_SECRET != "s" * 40


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(ValueError):
        load_settings()
