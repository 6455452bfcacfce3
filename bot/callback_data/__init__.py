"""Typed callback data of every inline button. Values arrive from the client: handlers re-check them."""

from bot.callback_data.devices import DeviceAction, DeviceOp, SelectDevice
from bot.callback_data.language import LanguageChoice
from bot.callback_data.sharing import MemberAction, MemberList, MemberOp, ShareDevice, ShareInvite

__all__ = [
    "DeviceAction",
    "DeviceOp",
    "LanguageChoice",
    "MemberAction",
    "MemberList",
    "MemberOp",
    "SelectDevice",
    "ShareDevice",
    "ShareInvite",
]
