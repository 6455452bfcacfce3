"""Buttons of OTA: /firmware (type, confirm, discard, a firmware's actions, its pages), a rollout's draft
(canary size, failures allowed, soak time, start), /rollouts (a rollout's actions) and the owner's "Update
firmware"."""

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


class DraftChoice(StrEnum):
    CANARY = "canary"  # the first stage, % of the type
    THRESHOLD = "threshold"  # failures allowed before the rollout halts
    SOAK = "soak"  # seconds a finished stage is watched before the next starts by itself; 0: by hand


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


class OtaFirmwarePage(CallbackData, prefix="otap"):
    # A type's firmware list grows with every upload: ~26 versions' actions would pass Telegram's 100 buttons.
    device_type: str
    page: int


class OtaDraft(CallbackData, prefix="otag"):
    # The draft (FSM data) this button changes: a button of an earlier draft changes nothing.
    draft: str
    choice: DraftChoice
    value: int


class OtaDraftStart(CallbackData, prefix="otal"):
    draft: str


class OtaDraftDiscard(CallbackData, prefix="otax"):
    pass


class OtaRollout(CallbackData, prefix="otar"):
    rollout_id: int
    action: RolloutAction
    # The stage the operator saw: ⏩ widens from it only, so a press after the processor widened the rollout
    # by itself does not skip a stage.
    stage: int = 0


class OtaUpdate(CallbackData, prefix="otau"):
    device_id: int
