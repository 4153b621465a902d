"""Settings: read once from the environment into one typed, validated object."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.key_strength import asymmetric_key_problems, key_problems

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-do-not-use-in-production-0123456789"
DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktZG8tbm90LXVzZS1pdCE="
# Published with the source: production refuses them in any key setting (and the data key decoded).
DEVELOPMENT_KEYS = (DEV_SECRET, DEV_DATA_KEY, "dev-only-data-key-do-not-use-it!")


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
    # Put before every Redis key and channel, so several deployments (or test runs) share one Redis.
    redis_key_prefix: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.:-]*$")
    timezone: str = "Asia/Shanghai"

    knowledge_dir: Path = REPO_ROOT / "knowledge"
    secret_key: str = DEV_SECRET

    conversation_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    max_text_length: int = Field(default=500, ge=1)
    turn_flush_seconds: float = Field(default=0.5, gt=0)
    turn_queue_max: int = Field(default=5000, ge=10)  # turns waiting for the writer; requests wait beyond
    guide_ip_messages_per_minute: int = Field(default=120, ge=1)
    guide_ip_conversations_per_minute: int = Field(default=30, ge=1)
    guide_match_memo_size: int = Field(default=10_000, ge=0)  # match results remembered per worker
    guide_opening_memo_size: int = Field(default=5_000, ge=0)  # first turns remembered per worker
    memory_kv_max_keys: int = Field(default=50_000, ge=100)  # the in-process kv (no REDIS_URL)
    request_timeout_seconds: float = Field(default=10, gt=0)  # headers; longest pause inside a body
    bench_echo_route: bool = False  # POST /bench/echo, the benchmarks' bare POST baseline

    # Accounts and access (server/auth): tokens, personal-data encryption, vendors, limits.
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_key_id: str = Field(default="k1", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    jwt_private_key: str | None = None  # PEM, for RS256/ES256; HS256 signs with SECRET_KEY
    jwt_previous_keys: dict[str, str] = {}  # kid -> old HS secret or public PEM, still verified
    jwt_issuer: str = "yijianshi"
    jwt_user_audience: str = "yijianshi-app"
    jwt_operator_audience: str = "yijianshi-console"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=300)
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=60)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    operator_refresh_token_ttl_seconds: int = Field(default=8 * 3600, ge=600)  # one shift, not a month
    operator_cache_seconds: float = Field(default=5.0, ge=0, le=60)  # operators' role/active from the DB
    data_encryption_key: str = DEV_DATA_KEY  # base64 of 32 bytes: ID/phone encryption and lookup hashes
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_base_url: str = "https://api.weixin.qq.com"
    vendor_timeout_seconds: float = Field(default=5.0, gt=0)
    sms_provider: Literal["development", "tencent"] = "development"
    sms_base_url: str = "https://sms.tencentcloudapi.com"
    sms_secret_id: str = ""
    sms_secret_key: str = ""
    sms_region: str = "ap-guangzhou"
    sms_app_id: str = ""
    sms_sign_name: str = ""
    sms_template_id: str = ""
    sms_code_ttl_seconds: int = Field(default=300, ge=60)
    sms_max_attempts: int = Field(default=5, ge=1)
    sms_phone_per_minute: int = Field(default=1, ge=1)
    sms_phone_per_day: int = Field(default=10, ge=1)
    sms_ip_per_minute: int = Field(default=5, ge=1)
    sms_ip_per_day: int = Field(default=50, ge=1)
    login_max_failures: int = Field(default=5, ge=1)  # per username and per IP, per window
    login_failure_window_seconds: int = Field(default=15 * 60, ge=60)
    signature_max_skew_seconds: int = Field(default=300, ge=10)

    # Operators (server/operators): the 转人工 queue, reports, 好差评 and 投诉建议 deadlines.
    handoff_assignment: Literal["claim", "round_robin"] = "claim"
    handoff_operator_cap: int = Field(default=3, ge=1, le=50)  # conversations one operator holds at once
    handoff_polite_after_seconds: float = Field(default=120, ge=5)
    handoff_sweep_seconds: float = Field(default=10, gt=0)
    unmatched_max_turns: int = Field(default=5000, ge=100, le=100_000)
    rating_followup_working_days: int = Field(default=15, ge=1, le=60)  # 差评 回访/整改
    consultation_working_days: int = Field(default=5, ge=1, le=60)
    complaint_working_days: int = Field(default=15, ge=1, le=60)
    suggestion_working_days: int = Field(default=20, ge=1, le=60)

    # Applications (server/applications): 超期预警, progress lookups, uploads and their storage.
    overdue_warning_working_days: int = Field(default=2, ge=0, le=30)
    progress_ip_per_minute: int = Field(default=10, ge=1)
    progress_receipt_failures_per_hour: int = Field(default=10, ge=1)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    upload_dir: Path = REPO_ROOT / "var" / "uploads"
    s3_endpoint_url: str | None = None  # set with S3_BUCKET to store uploads in S3-compatible storage
    s3_bucket: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None

    # Push (server/push): outbox dispatcher, WebSocket, WeChat subscribe messages, app push.
    push_dispatcher: Literal["embedded", "external"] = "embedded"  # external: run `python -m server.push`
    push_batch_size: int = Field(default=100, ge=1, le=1000)
    push_concurrency: int = Field(default=32, ge=1, le=512)
    push_lease_seconds: float = Field(default=60.0, gt=0)
    push_poll_seconds: float = Field(default=1.0, gt=0)
    push_max_attempts: int = Field(default=8, ge=1, le=50)
    push_backoff_base_seconds: float = Field(default=2.0, gt=0)
    push_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    push_overdue_sweep_seconds: float = Field(default=900.0, gt=0)  # 超期提醒: how often workers look
    ws_heartbeat_seconds: float = Field(default=25.0, gt=0)
    ws_replay_limit: int = Field(default=200, ge=1, le=1000)
    ws_max_queued: int = Field(default=256, ge=1)
    wechat_templates: dict[str, dict] = {}  # category -> {template_id, kind, page, data}
    wechat_miniprogram_state: Literal["developer", "trial", "formal"] = "formal"
    app_push_provider: Literal["none", "getui"] = "none"
    getui_base_url: str = ""  # https://restapi.getui.com/v2/{appId}
    getui_app_key: str = ""
    getui_master_secret: str = ""

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
        previous_hs = self.jwt_previous_keys if self.jwt_algorithm == "HS256" else {}
        problems += key_problems(self.secret_key, previous_hs, self.data_encryption_key, DEVELOPMENT_KEYS)
        if not self.redis_url:
            problems.append("REDIS_URL must be set: several workers and hosts share state through Redis")
        if self.is_embedded_db:
            problems.append("DATABASE_URL must point to PostgreSQL, not the embedded SQLite file")
        if self.bench_echo_route:
            problems.append("BENCH_ECHO_ROUTE is for benchmarks only; unset it")
        if self.sms_provider == "development":
            problems.append("SMS_PROVIDER=development only logs codes; configure a real provider")
        previous_pems = self.jwt_previous_keys if self.jwt_algorithm != "HS256" else {}
        problems += asymmetric_key_problems(self.jwt_algorithm, self.jwt_private_key, previous_pems)
        if self.app_push_provider == "getui" and not (
            self.getui_base_url and self.getui_app_key and self.getui_master_secret
        ):
            problems.append(
                "APP_PUSH_PROVIDER=getui needs GETUI_BASE_URL, GETUI_APP_KEY, GETUI_MASTER_SECRET"
            )
        if problems:
            raise SettingsError("refusing to start in production: " + "; ".join(problems))


def load_settings() -> Settings:
    """Read the environment once; raise SettingsError on values production must not run with."""
    settings = Settings()
    settings.check_production()
    return settings
