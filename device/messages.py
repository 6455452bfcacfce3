"""What the server sends a device (SPEC section 3: config, commands, provisioning), parsed at the boundary."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Config(BaseModel):
    """The retained `devices/{uid}/config`; keys this agent does not use are kept but ignored."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(ge=0)
    report_interval: float | None = Field(default=None, ge=1, le=86_400)


class Command(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    command: str
    args: dict[str, Any] = Field(default_factory=dict)
    timestamp: float | None = None


class ProvisioningResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["pending", "paired", "refused"] | str
    code: str | None = None
    expires_at: float | None = None
    reason: str | None = None

    @property
    def owned(self) -> bool:
        """Paired just now, or refused because the device already has an owner: either way it is paired."""
        return self.status == "paired" or (self.status == "refused" and self.reason == "owned")


def live_duration(command: Command, default: float = 600.0, longest: float = 3600.0) -> float:
    """Seconds of fast reporting a `live` command asks for, within sane bounds; 0 ends live mode now."""
    value = command.args.get("duration", default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        return default
    return float(min(value, longest))
