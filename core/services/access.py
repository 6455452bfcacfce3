"""Who may do what on a device (SPEC section 4): the role rules as plain functions, no database."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    VIEWER = "viewer"


class Action(StrEnum):
    VIEW = "view"  # status, live, history, alerts, export
    NOTIFICATIONS = "notifications"  # the caller's own notification switch on the device
    CONFIGURE = "configure"  # settings, name, location
    SHARE = "share"  # invitations, members, roles, revocation
    REMOVE = "remove"  # unpair: every link goes, the device can be paired anew
    TRANSFER = "transfer"  # hand ownership to an admin member
    UPDATE_FIRMWARE = "update_firmware"
    LEAVE = "leave"  # drop one's own link; the owner removes or transfers instead


_MEMBER = frozenset({Action.VIEW, Action.NOTIFICATIONS})
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: _MEMBER
    | {Action.CONFIGURE, Action.SHARE, Action.REMOVE, Action.TRANSFER, Action.UPDATE_FIRMWARE},
    Role.ADMIN: _MEMBER | {Action.CONFIGURE, Action.LEAVE},
    Role.VIEWER: _MEMBER | {Action.LEAVE},
}

# Roles an invitation or a role change may grant: ownership only moves by an explicit transfer.
GRANTABLE_ROLES = (Role.ADMIN, Role.VIEWER)


class AccessDenied(Exception):
    """The caller has no right to this action on this device (or no link to it at all)."""

    reason = "denied"


def can(role: Role | str | None, action: Action) -> bool:
    """True when `role` (None: no link to the device) allows `action`."""
    if role is None:
        return False
    return action in PERMISSIONS[Role(role)]


def ensure(role: Role | str | None, action: Action) -> Role:
    """The caller's role when it allows `action`; AccessDenied otherwise."""
    if role is None or not can(role, action):
        raise AccessDenied
    return Role(role)


def is_grantable(role: str) -> bool:
    """Whether an invitation or a role change may give `role`."""
    return role in GRANTABLE_ROLES


def may_receive_ownership(role: Role | str | None) -> bool:
    """Ownership goes only to an admin member: someone the owner already trusts with settings."""
    return role == Role.ADMIN
