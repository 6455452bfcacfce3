"""All tables of SmartAir; importing this package registers them on `Base.metadata`."""

from core.models.alert import Alert, AlertRule, AlertState
from core.models.base import Base
from core.models.device import ROLES, Device, DeviceConfig, DeviceType, UserDevice
from core.models.firmware import DeviceCommand, Firmware
from core.models.live import LiveWatcher
from core.models.outbox import OutboxMessage
from core.models.pairing import Invitation, PairingAttempt, PairingCode
from core.models.telemetry import METRICS, Telemetry, TelemetryHourly
from core.models.user import User

__all__ = [
    "METRICS",
    "ROLES",
    "Alert",
    "AlertRule",
    "AlertState",
    "Base",
    "Device",
    "DeviceCommand",
    "DeviceConfig",
    "DeviceType",
    "Firmware",
    "Invitation",
    "LiveWatcher",
    "OutboxMessage",
    "PairingAttempt",
    "PairingCode",
    "Telemetry",
    "TelemetryHourly",
    "User",
    "UserDevice",
]
