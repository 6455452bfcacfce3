"""/admin, /users and /all_devices as an operator reads them."""

from __future__ import annotations

from datetime import datetime

from bot.texts import Translator
from bot.views.fitting import fit_blocks
from bot.views.moments import duration_text, local_moment
from bot.views.readings import ONLINE_DOT, reading_line
from bot.views.seen import seen_text
from core.services.admin.dashboard import Dashboard, Node
from core.services.admin.devices import DeviceCard, DeviceLine
from core.services.admin.search import Page
from core.services.admin.users import UserCard, UserLine

# A program whose heartbeat is older than this is shown as silent (it beats every 30 s).
SILENT_AFTER = 90.0


def dashboard_text(t: Translator, board: Dashboard, now: datetime, timezone: str) -> str:
    lines = [
        t("admin-title", time=local_moment(now, timezone, now)),
        t(
            "admin-users",
            active=board.users_active,
            unreachable=board.users_unreachable,
            blocked=board.users_blocked,
        ),
        t(
            "admin-devices",
            online=board.devices_online,
            offline=board.devices_offline,
            never=board.devices_never_seen,
        ),
        t("admin-telemetry", minute=board.readings_last_minute, day=board.readings_last_day),
        t("admin-alerts", count=board.alerts_today),
        t("admin-outbox", depth=board.outbox_depth),
    ]
    if board.revenue_this_month is not None:
        lines.append(t("admin-revenue", amount=float(board.revenue_this_month)))
    lines.append(t("admin-nodes-title"))
    lines.extend(node_line(t, node, now, timezone) for node in board.nodes)
    if not board.nodes:
        lines.append(t("admin-nodes-none"))
    return "\n".join(lines)


def node_line(t: Translator, node: Node, now: datetime, timezone: str) -> str:
    silent = (now - node.beat_at).total_seconds() > SILENT_AFTER
    state = (
        t("admin-node-silent", since=local_moment(node.beat_at, timezone, now))
        if silent
        else t("admin-node-up", uptime=duration_text(t, (now - node.started_at).total_seconds()))
    )
    error = (
        t("admin-node-error", at=local_moment(node.last_error_at, timezone, now), error=node.last_error[:120])
        if node.last_error and node.last_error_at
        else t("admin-node-no-error")
    )
    return t("admin-node", program=node.program, state=state, error=error)


def _name(user: UserLine) -> str:
    name = user.first_name or ""
    if user.username:
        name = f"{name} @{user.username}".strip()
    return name or "—"


def user_marker(user: UserLine) -> str:
    if user.blocked:
        return "🚫"
    return "🟢" if user.is_active else "⚫"


def user_button(user: UserLine) -> str:
    return f"{user_marker(user)} {_name(user)} · {user.telegram_id}"


def device_button(device: DeviceLine) -> str:
    return f"{ONLINE_DOT[device.is_online]} {device.name} · {device.uid}"


def list_title(t: Translator, key: str, page: Page[UserLine] | Page[DeviceLine], query: str) -> str:
    """`key` is admin-users-title or admin-devices-title."""
    title = t(key, total=page.total, page=page.number + 1, pages=page.pages)
    if query:
        title += "\n" + t("admin-search-for", query=query)
    if not page.items:
        title += "\n" + t("admin-nothing-found")
    return title


def user_card_text(t: Translator, card: UserCard, now: datetime, timezone: str) -> str:
    user = card.user
    if user.blocked:
        state = t("admin-user-blocked")
    elif user.is_active:
        state = t("admin-user-active")
    else:
        state = t("admin-user-unreachable")
    lines = [
        t("admin-user-card", marker=user_marker(user), name=_name(user), telegram_id=str(user.telegram_id)),
        t(
            "admin-user-details",
            id=str(user.id),
            language=card.language,
            joined=local_moment(card.created_at, timezone, now),
            state=state,
        ),
        t("admin-user-devices", count=len(card.memberships)),
    ]
    entries = [f"• {m.device_name} — {t(f'role-{m.role}')}" for m in card.memberships]
    return fit_blocks(t, "\n".join(lines), entries, separator="\n")


def device_card_text(t: Translator, card: DeviceCard, now: datetime, timezone: str) -> str:
    device = card.device
    state = t("state-online") if device.is_online else t("state-offline")
    owner = card.owner
    lines = [
        t("admin-device-card", marker=ONLINE_DOT[device.is_online], name=device.name, uid=device.uid),
        t(
            "admin-device-details",
            type=device.device_type,
            firmware=card.firmware or "—",
            state=state,
            seen=seen_text(t, device.last_seen, now, timezone),
        ),
        t("admin-device-owner", owner=f"{owner.name} · {owner.telegram_id}" if owner else "—"),
        t("admin-device-members", count=len(card.members)),
    ]
    entries = [f"• {m.name} · {m.telegram_id} — {t(f'role-{m.role}')}" for m in card.members]
    reading = t("admin-device-reading", reading=reading_line(t, card.reading))
    return fit_blocks(t, "\n".join(lines), entries, tail=reading, separator="\n")
