"""Environment configuration (SPEC section 2), one pydantic-settings class per concern."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, NoReturn, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core import infisical
from core.alerts.presence import MIN_SILENCE

_COMMON = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
# COMMAND_TTL_SECONDS' default: how long a command to a device (restart, ping, live) waits for its answer.
COMMAND_TTL = timedelta(seconds=30)


class DatabaseSettings(BaseSettings):
    model_config = _COMMON

    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/smartair", alias="DATABASE_URL"
    )

    @field_validator("database_url")
    @classmethod
    def _must_be_postgres(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("must be a postgresql:// or postgresql+asyncpg:// URL")
        return value


# A lone processor's session: the broker queues everything for it through an outage of up to a week.
SESSION_EXPIRY_ALONE = 7 * 24 * 3600


class MqttSettings(BaseSettings):
    model_config = _COMMON

    mqtt_host: str = Field(default="127.0.0.1", alias="MQTT_HOST")
    mqtt_port: int = Field(default=1883, alias="MQTT_PORT", ge=1, le=65535)
    mqtt_username: str = Field(default="", alias="MQTT_USERNAME")
    mqtt_password: SecretStr = Field(default=SecretStr(""), alias="MQTT_PASSWORD")
    mqtt_tls: bool = Field(default=False, alias="MQTT_TLS")
    # A fixed client id is what makes the processor's session persistent across restarts.
    mqtt_client_id: str = Field(default="smartair-processor", alias="MQTT_CLIENT_ID")
    # Non-empty: subscribe through `$share/<group>/...` so several processors split the load.
    mqtt_shared_group: str = Field(default="", alias="MQTT_SHARED_GROUP")
    # In a shared group: how long the broker keeps a stopped processor's session (its queue and its share of
    # the group) for it. Back within it, nothing is lost; gone for longer, the broker drops the session and
    # the other processors take the whole stream (an endless session would take a share for ever).
    mqtt_session_expiry: int = Field(default=300, alias="MQTT_SESSION_EXPIRY", ge=1, le=SESSION_EXPIRY_ALONE)
    # Off: stock paho reads and acks instead of the processor's buffered fast path (processor.paho_internals),
    # e.g. to rule it out when a paho upgrade misbehaves. It also turns itself off on an unchecked paho.
    mqtt_fast_path: bool = Field(default=True, alias="MQTT_FAST_PATH")

    @property
    def session_expiry(self) -> int:
        """Seconds the broker keeps this processor's session after it disconnects (MQTT 5)."""
        return self.mqtt_session_expiry if self.mqtt_shared_group else SESSION_EXPIRY_ALONE


class TelegramSettings(BaseSettings):
    model_config = _COMMON

    bot_token: SecretStr = Field(alias="BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError("must look like 123456:ABC-DEF (the token BotFather gave)")
        return value


class OperatorSettings(BaseSettings):
    """Who operates the service: /admin in the bot, and error notices from both programs."""

    model_config = _COMMON

    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="ADMIN_USER_IDS")

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def operators(self) -> frozenset[int]:
        return frozenset(self.admin_user_ids)


class GeneralSettings(BaseSettings):
    model_config = _COMMON

    tz: str = Field(default="Europe/Moscow", alias="TZ")
    clickhouse_url: str = Field(default="", alias="CLICKHOUSE_URL")
    # The processor's ClickHouse spool on disk (processor.clickhouse_spool): kept across a crash.
    clickhouse_spool_dir: str = Field(default="var/clickhouse-spool", alias="CLICKHOUSE_SPOOL_DIR")
    # Off: charts draw their text through stock matplotlib instead of remembered glyphs (charts.agg_text),
    # e.g. to rule it out after a matplotlib upgrade. It also turns itself off on an unchecked matplotlib.
    chart_glyph_cache: bool = Field(default=True, alias="CHART_GLYPH_CACHE")
    # Asked to stop and still running this many seconds later: the program logs its tasks' stacks and
    # exits 70 (core.stop_deadline), rather than hang on an await that never returns.
    stop_deadline: float = Field(default=60.0, alias="STOP_DEADLINE_SECONDS", gt=0)
    # A command to a device waits this long for its answer (the bot then says "no answer"), and the processor
    # never sends one older (core.services.commands). Read by both, so they agree.
    command_ttl_seconds: float = Field(
        default=COMMAND_TTL.total_seconds(), alias="COMMAND_TTL_SECONDS", gt=0, le=3600
    )

    @property
    def command_ttl(self) -> timedelta:
        return timedelta(seconds=self.command_ttl_seconds)

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value


class HttpSettings(BaseSettings):
    """The programs' HTTP sides and the address the outside world reaches them by."""

    model_config = _COMMON

    # 0 = any free port (tests run many programs side by side).
    processor_http_port: int = Field(default=8081, alias="PROCESSOR_HTTP_PORT", ge=0, le=65535)
    bot_http_port: int = Field(default=8082, alias="BOT_HTTP_PORT", ge=0, le=65535)
    public_url: str = Field(default="http://127.0.0.1", alias="PUBLIC_URL")


class FirmwareSettings(BaseSettings):
    """OTA (SPEC 6): the key that signs uploaded firmware and the folder the files live in (the bot writes
    them, the processor serves them)."""

    model_config = _COMMON

    # Ed25519 private key, PEM; empty: uploads are refused with a clear message (nothing can be signed).
    firmware_signing_key: SecretStr = Field(default=SecretStr(""), alias="FIRMWARE_SIGNING_KEY")
    firmware_dir: str = Field(default="var/firmware", alias="FIRMWARE_DIR")


class ReplicaSettings(BaseSettings):
    """Several bot replicas: updates by webhook through one URL (empty = long polling), conversations in
    Redis (empty = this process's memory)."""

    model_config = _COMMON

    bot_webhook_url: str = Field(default="", alias="BOT_WEBHOOK_URL")
    redis_url: str = Field(default="", alias="REDIS_URL")

    @field_validator("bot_webhook_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be the https:// URL Telegram posts updates to (ending in /telegram)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value


class RetentionSettings(BaseSettings):
    """How long raw telemetry stays in PostgreSQL (whole daily partitions; hourly rollups stay)."""

    model_config = _COMMON

    telemetry_retention_days: int = Field(default=400, alias="TELEMETRY_RETENTION_DAYS", ge=1)


class PresenceSettings(BaseSettings):
    """When a silent device counts as offline (SPEC 5): 3 report intervals, at least this long. Read by the
    processor's presence sweep and by the bot's morning digest (its offline periods), so both agree."""

    model_config = _COMMON

    offline_min_silence_seconds: float = Field(
        default=MIN_SILENCE.total_seconds(), alias="OFFLINE_MIN_SILENCE_SECONDS", gt=0
    )

    @property
    def min_silence(self) -> timedelta:
        return timedelta(seconds=self.offline_min_silence_seconds)


class BillingSettings(BaseSettings):
    """The plan and the YooKassa shop; billing is off while `YOOKASSA_SHOP_ID` is unset."""

    model_config = _COMMON

    yookassa_shop_id: str = Field(default="", alias="YOOKASSA_SHOP_ID")
    yookassa_secret_key: SecretStr = Field(
        default=SecretStr(""), alias="YOOKASSA_SECRET_KEY", validate_default=True
    )
    yookassa_api_url: str = Field(default="https://api.yookassa.ru/v3", alias="YOOKASSA_API_URL")
    # Roubles per device per month, as written ("199", "199.50"); kept in kopecks from here on.
    billing_price: Decimal = Field(default=Decimal(199), alias="BILLING_PRICE", ge=0, decimal_places=2)
    billing_free_devices: int = Field(default=1, alias="BILLING_FREE_DEVICES", ge=0)
    billing_grace_days: int = Field(default=14, alias="BILLING_GRACE_DAYS", ge=0)

    @property
    def enabled(self) -> bool:
        return bool(self.yookassa_shop_id)

    @property
    def price_kopecks(self) -> int:
        return int(self.billing_price * 100)

    @field_validator("yookassa_secret_key")
    @classmethod
    def _secret_with_shop(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        if info.data.get("yookassa_shop_id") and not value.get_secret_value():
            raise ValueError("required when YOOKASSA_SHOP_ID is set")
        return value


class SandboxSettings(BaseSettings):
    """`python -m sandbox`: the local stand-in for Telegram (SPEC 11)."""

    model_config = _COMMON

    sandbox_port: int = Field(default=8080, alias="SANDBOX_PORT", ge=0, le=65535)
    # The people of the web chat (name, language, Telegram id), kept across restarts.
    sandbox_people_file: str = Field(default="var/sandbox/people.json", alias="SANDBOX_PEOPLE_FILE")


S = TypeVar("S", bound=BaseSettings)


def describe_error(error: ValidationError) -> str:
    """One line naming the variable(s) at fault, without a traceback."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        reason = "is required but not set" if item["type"] == "missing" else f"is invalid: {item['msg']}"
        parts.append(f"{name.upper()} {reason}")
    return "configuration error: " + "; ".join(parts)


def load(settings_class: type[S]) -> S:
    """Read `settings_class` from the environment, Infisical (when configured) and `.env`, in that order of
    precedence; exit with one clear line if Infisical fails or a setting is wrong."""
    try:
        infisical.load_into_environment()
        return settings_class()
    except infisical.InfisicalError as error:
        _stop(f"configuration error: {error}")
    except ValidationError as error:
        _stop(describe_error(error))


def _stop(line: str) -> NoReturn:
    print(line, file=sys.stderr)  # noqa: T201 - the operator's console is the audience
    raise SystemExit(2) from None
