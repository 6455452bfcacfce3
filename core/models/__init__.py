"""All tables of SmartAir; importing this package registers them on `Base.metadata`."""

from core.models.agent import AgentToken
from core.models.alert import Alert, AlertRule, AlertState
from core.models.base import Base
from core.models.billing import (
    BillingPause,
    DeviceOwnership,
    Invoice,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    Refund,
)
from core.models.device import ROLES, Device, DeviceConfig, DeviceType, UserDevice
from core.models.firmware import DeviceCommand, Firmware, Rollout, RolloutTarget
from core.models.live import LiveWatcher
from core.models.operators import Broadcast, ErrorReport, NodeHealth
from core.models.outbox import OutboxMessage
from core.models.pairing import Invitation, PairingAttempt, PairingCode
from core.models.telemetry import METRICS, Telemetry, TelemetryHourly
from core.models.user import User

__all__ = [
    "METRICS",
    "ROLES",
    "AgentToken",
    "Alert",
    "AlertRule",
    "AlertState",
    "Base",
    "BillingPause",
    "Broadcast",
    "Device",
    "DeviceCommand",
    "DeviceConfig",
    "DeviceOwnership",
    "DeviceType",
    "ErrorReport",
    "Firmware",
    "Invitation",
    "Invoice",
    "LiveWatcher",
    "NodeHealth",
    "OutboxMessage",
    "PairingAttempt",
    "PairingCode",
    "Payment",
    "PaymentAttempt",
    "PaymentMethod",
    "Refund",
    "Rollout",
    "RolloutTarget",
    "Telemetry",
    "TelemetryHourly",
    "User",
    "UserDevice",
]
