"""Buttons of OTA: /firmware (type, confirm, discard, a firmware's actions), /rollouts (a rollout's actions)
and the owner's "Update firmware"."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class FirmwareAction(StrEnum):
    STABLE = "stable"
    WITHDRAW = "withdraw"
    CANARY = "canary"
    ALL = "all"


class RolloutAction(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    WIDEN = "widen"


class OtaType(CallbackData, prefix="otat"):
    device_type: str


class OtaConfirm(CallbackData, prefix="otac"):
    # The draft this confirms (FSM data): a button left from an earlier upload does not store the new one.
    draft: str


class OtaDiscard(CallbackData, prefix="otad"):
    pass


class OtaFirmware(CallbackData, prefix="otaf"):
    firmware_id: int
    action: FirmwareAction


class OtaRollout(CallbackData, prefix="otar"):
    rollout_id: int
    action: RolloutAction


class OtaUpdate(CallbackData, prefix="otau"):
    device_id: int
