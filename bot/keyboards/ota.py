"""Keyboards of OTA: device types, the upload's confirmation, a type's firmware (a page of it), rollouts,
owners' updates."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callback_data.ota import (
    DraftChoice,
    FirmwareAction,
    OtaConfirm,
    OtaDiscard,
    OtaDraft,
    OtaDraftDiscard,
    OtaDraftStart,
    OtaFirmware,
    OtaFirmwarePage,
    OtaRollout,
    OtaType,
    OtaUpdate,
    RolloutAction,
)
from bot.keyboards.paging import Slice, add_moves
from bot.texts import Translator
from bot.views.ota import soak_text
from core.services.ota.firmware import FirmwareInfo, State
from core.services.ota.rollouts import RolloutDraft, RolloutSummary
from core.services.ota.rules import RolloutState, Scope

# What a rollout's draft offers; any other soak time can be typed.
CANARY_SIZES = (1, 5, 10, 25, 50)
THRESHOLDS = (0, 1, 2, 5, 10)
SOAKS = (15 * 60, 3600, 6 * 3600, 24 * 3600, 0)  # seconds; 0: the operator widens by hand


def device_types(types: Sequence[str]) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for code in types:
        keyboard.button(text=code, callback_data=OtaType(device_type=code))
    keyboard.adjust(3)
    return keyboard.as_markup()


def confirm(t: Translator, draft: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("ota-button-store"), callback_data=OtaConfirm(draft=draft))
    keyboard.button(text=t("ota-button-discard"), callback_data=OtaDiscard())
    return keyboard.as_markup()


def discard(t: Translator) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text=t("ota-button-discard"), callback_data=OtaDiscard())
    return keyboard.as_markup()


def firmware_actions(t: Translator, device_type: str, shown: Slice[FirmwareInfo]) -> InlineKeyboardMarkup:
    """What can be done with each firmware of the page (a withdrawn one: nothing), then « »."""
    keyboard = InlineKeyboardBuilder()
    rows = []
    for info in shown.items:
        if info.state is State.WITHDRAWN:
            continue
        buttons = [FirmwareAction.CANARY, FirmwareAction.ALL, FirmwareAction.WITHDRAW]
        if info.state is State.DRAFT:
            buttons.insert(0, FirmwareAction.STABLE)
        for action in buttons:
            keyboard.button(
                text=t(f"ota-button-{action}", version=info.version),
                callback_data=OtaFirmware(firmware_id=info.id, action=action),
            )
        rows += [2] * (len(buttons) // 2) + [1] * (len(buttons) % 2)
    rows += add_moves(
        keyboard,
        t,
        shown.number,
        shown.pages,
        lambda n: OtaFirmwarePage(device_type=device_type, page=n),
    )
    keyboard.adjust(*rows)
    return keyboard.as_markup()


def rollout_draft(t: Translator, token: str, draft: RolloutDraft) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    rows = []
    choices: list[tuple[DraftChoice, tuple[int, ...], int]] = [
        (DraftChoice.THRESHOLD, THRESHOLDS, draft.failure_threshold)
    ]
    if draft.scope is Scope.CANARY:
        soak = 0 if draft.soak is None else int(draft.soak.total_seconds())
        choices = [
            (DraftChoice.CANARY, CANARY_SIZES, draft.canary),
            *choices,
            (DraftChoice.SOAK, SOAKS, soak),
        ]
    for choice, values, current in choices:
        for value in values:
            if choice is DraftChoice.SOAK:
                text = "⏱ " + soak_text(t, value) if value else t("ota-draft-button-by-hand")
            else:
                text = t(f"ota-draft-button-{choice}", value=value)
            keyboard.button(
                text=f"✓ {text}" if value == current else text,
                callback_data=OtaDraft(draft=token, choice=choice, value=value),
            )
        rows.append(len(values))
    keyboard.button(text=t("ota-button-start"), callback_data=OtaDraftStart(draft=token))
    keyboard.button(text=t("ota-button-discard"), callback_data=OtaDraftDiscard())
    keyboard.adjust(*rows, 2)
    return keyboard.as_markup()


_ROLLOUT_ACTIONS = {
    RolloutState.RUNNING: (RolloutAction.PAUSE, RolloutAction.CANCEL),
    RolloutState.PAUSED: (RolloutAction.RESUME, RolloutAction.CANCEL),
    RolloutState.HALTED: (RolloutAction.RESUME, RolloutAction.CANCEL),
}


def rollout_actions(t: Translator, items: Sequence[RolloutSummary]) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    for item in items:
        actions = list(_ROLLOUT_ACTIONS.get(item.state, ()))
        if item.state is RolloutState.RUNNING and not item.last_stage:
            actions.insert(0, RolloutAction.WIDEN)
        for action in actions:
            keyboard.button(
                text=t(f"ota-button-{action}", rollout=item.id),
                callback_data=OtaRollout(rollout_id=item.id, action=action, stage=item.stage),
            )
    keyboard.adjust(3)
    return keyboard.as_markup()


def update(t: Translator, device_id: int, version: str) -> InlineKeyboardMarkup:
    keyboard = InlineKeyboardBuilder()
    keyboard.button(
        text=t("ota-button-update", version=version), callback_data=OtaUpdate(device_id=device_id)
    )
    return keyboard.as_markup()
