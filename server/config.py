"""Settings: read once from the environment into one typed, validated object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-do-not-use-in-production-0123456789"


class SettingsError(ValueError):
    """Configuration that must not be served; the message says what to change."""


class Settings(BaseSettings):
    """Every knob of the service. Names are the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    app_env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    database_url: str = f"sqlite://{REPO_ROOT / 'var' / 'app.sqlite3'}"
    redis_url: str | None = None
    timezone: str = "Asia/Shanghai"

    knowledge_dir: Path = REPO_ROOT / "knowledge"
    secret_key: str = DEV_SECRET

    conversation_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    max_text_length: int = Field(default=500, ge=1)
    turn_flush_seconds: float = Field(default=0.5, gt=0)

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @property
    def is_embedded_db(self) -> bool:
        return self.database_url.startswith("sqlite://")

    def check_production(self) -> None:
        """Refuse settings that are fine on a laptop and dangerous in production."""
        if self.app_env != "production":
            return
        problems = []
        if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if not self.redis_url:
            problems.append("REDIS_URL must be set: several workers and hosts share state through Redis")
        if self.is_embedded_db:
            problems.append("DATABASE_URL must point to PostgreSQL, not the embedded SQLite file")
        if problems:
            raise SettingsError("refusing to start in production: " + "; ".join(problems))


def load_settings() -> Settings:
    """Read the environment once; raise SettingsError on values production must not run with."""
    settings = Settings()
    settings.check_production()
    return settings
