"""Tuning of the delivery worker; the defaults suit production, tests shorten the lease."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeliverySettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Off: this bot instance leaves the outbox to the others (tests run several bots on one database).
    enabled: bool = Field(default=True, alias="DELIVERY_ENABLED")
    # Off: this instance does not queue morning digests (another replica or nobody does).
    digest_job: bool = Field(default=True, alias="DIGEST_JOB_ENABLED")
    # How long a claimed row stays ours. A crashed bot's rows wait this long before another worker sends them.
    lease_seconds: float = Field(default=60.0, alias="DELIVERY_LEASE_SECONDS", gt=0)
    # One sendMessage may take this long; it must fit in the lease, or a slow send and the next claimer could
    # both deliver the same row.
    request_timeout: float = Field(default=15.0, alias="DELIVERY_REQUEST_TIMEOUT", gt=0)
    # The safety net under LISTEN/NOTIFY: retries come due without a NOTIFY, and a NOTIFY can be missed
    # while the listening connection reconnects.
    poll_seconds: float = Field(default=2.0, alias="DELIVERY_POLL_SECONDS", gt=0)
    batch: int = Field(default=30, alias="DELIVERY_BATCH", ge=1)
    max_in_flight: int = Field(default=60, alias="DELIVERY_MAX_IN_FLIGHT", ge=1)
    # Broadcast rows claimed at once: enough to keep ~30 messages/s going, few enough that an alert queued
    # behind them waits a fraction of a second for Telegram's rate, not for a broadcast's thousands.
    broadcast_in_flight: int = Field(default=10, alias="DELIVERY_BROADCAST_IN_FLIGHT", ge=1)

    @field_validator("request_timeout")
    @classmethod
    def _timeout_fits_the_lease(cls, value: float, info: ValidationInfo) -> float:
        lease = info.data.get("lease_seconds")
        if lease is not None and value * 2 > lease:
            raise ValueError("must be at most half of DELIVERY_LEASE_SECONDS")
        return value

    @property
    def send_budget(self) -> float:
        """Seconds after a claim within which a send may still start: the lease minus a request's
        worst case and a margin for the database write that follows."""
        return self.lease_seconds - self.request_timeout - min(5.0, self.lease_seconds * 0.1)
