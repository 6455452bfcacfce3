"""The agent's settings: a small JSON file (`--config`); `DEVICE_*` environment variables fill gaps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from device.connection import BrokerAddress


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEVICE_", extra="forbid")

    uid: str = Field(pattern=r"^[A-Za-z0-9_-]{3,64}$")
    device_type: str = "co2"
    firmware_version: str = "2.0.1"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str = ""
    mqtt_password: SecretStr = SecretStr("")
    mqtt_tls: bool = False
    mqtt_ca_file: str = ""
    sensor: Literal["simulated", "scd4x"] = "simulated"
    i2c_bus: int = 1
    buffer_path: Path = Path("smartair-buffer.sqlite3")
    # ~17 days of 30-second readings; beyond it the oldest are dropped so the SD card never fills up.
    buffer_limit: int = Field(default=50_000, ge=10)
    # Until the server's retained config says otherwise.
    report_interval: float = Field(default=30.0, gt=0)
    live_interval: float = Field(default=5.0, gt=0)
    # Off for a device whose pairing is handled elsewhere (e.g. registered by the factory).
    pairing: bool = True
    reconnect_max_delay: float = Field(default=30.0, gt=0)
    # OTA (SPEC 6): the Ed25519 public key (PEM) firmware must be signed with; the A/B slots' folder; how
    # long the new version has to publish a reading before the agent rolls back.
    firmware_public_key: str = ""
    slots_dir: Path = Path("smartair-slots")
    ota_health_timeout: float = Field(default=120.0, gt=0)
    ota_install_delay: float = Field(default=0.0, ge=0)

    def broker(self) -> BrokerAddress:
        return BrokerAddress(
            self.mqtt_host,
            self.mqtt_port,
            self.mqtt_username,
            self.mqtt_password.get_secret_value(),
            self.mqtt_tls,
            self.mqtt_ca_file,
        )


def load_settings(path: Path | None) -> AgentSettings:
    """Settings from `path` (JSON) and the environment; exits with one line naming what is wrong."""
    try:
        data = json.loads(path.read_text()) if path else {}
        return AgentSettings(**data)
    except (OSError, json.JSONDecodeError) as error:
        _fail(f"cannot read {path}: {error}")
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or '?'}: {item['msg']}" for item in error.errors()
        )
        _fail(problems)
    raise AssertionError("unreachable")


def _fail(reason: str) -> None:
    print(f"configuration error: {reason}", file=sys.stderr)  # noqa: T201 - the operator's console
    raise SystemExit(2)
