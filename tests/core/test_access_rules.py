"""The role rules of SPEC section 4, without Telegram or a database."""

from __future__ import annotations

import pytest

from core.services.access import AccessDenied, Action, Role, can, ensure, is_grantable, may_receive_ownership

EVERYONE = (Role.OWNER, Role.ADMIN, Role.VIEWER)


@pytest.mark.parametrize("role", EVERYONE)
def test_every_member_may_view_and_switch_their_notifications(role: Role) -> None:
    assert can(role, Action.VIEW)
    assert can(role, Action.NOTIFICATIONS)


@pytest.mark.parametrize("action", list(Action))
def test_owner_may_do_everything_but_leave(action: Action) -> None:
    assert can(Role.OWNER, action) is (action != Action.LEAVE)


def test_admin_configures_but_cannot_share_remove_transfer_or_update_firmware() -> None:
    assert can(Role.ADMIN, Action.CONFIGURE)
    for action in (Action.SHARE, Action.REMOVE, Action.TRANSFER, Action.UPDATE_FIRMWARE):
        assert not can(Role.ADMIN, action), action


@pytest.mark.parametrize(
    "action", [Action.CONFIGURE, Action.SHARE, Action.REMOVE, Action.TRANSFER, Action.UPDATE_FIRMWARE]
)
def test_viewer_cannot_change_the_device(action: Action) -> None:
    assert not can(Role.VIEWER, action)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_members_may_leave(role: Role) -> None:
    assert can(role, Action.LEAVE)


@pytest.mark.parametrize("action", list(Action))
def test_a_stranger_may_do_nothing(action: Action) -> None:
    assert not can(None, action)
    with pytest.raises(AccessDenied):
        ensure(None, action)


def test_ensure_returns_the_role_or_refuses() -> None:
    assert ensure("admin", Action.CONFIGURE) is Role.ADMIN
    with pytest.raises(AccessDenied):
        ensure("viewer", Action.CONFIGURE)


def test_invitations_grant_admin_or_viewer_never_ownership() -> None:
    assert is_grantable("admin") and is_grantable("viewer")
    assert not is_grantable("owner")
    assert not is_grantable("superuser")


def test_ownership_goes_only_to_an_admin() -> None:
    assert may_receive_ownership(Role.ADMIN)
    assert not may_receive_ownership(Role.VIEWER)
    assert not may_receive_ownership(None)
