"""Keeps the broker's device accounts in step with PostgreSQL (SPEC section 3, broker security).

The rules are core.services.broker_access; this drives Mosquitto's dynamic security (processor.dynsec):
- a provision request with a secret registers client `{uid}` (that secret its password) with a role of its
  own, `device-{uid}`, allowed to ask for codes and read its answers;
- pairing widens the role to the device's topics (before the device is told it is paired);
- removal (or a code expiring unused) publishes `{"status": "unpaired"}` if the device was paired, then
  deletes its client and role: the broker disconnects it at once and refuses it from then on.
Changes are applied on NOTIFY, and all devices are compared at start, on every LISTEN reconnection and once
a minute, so a change made while the processor was down still lands.

With no MQTT_USERNAME (an open broker without dynamic security) it does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import topics
from core.retry import DATABASE_ERRORS, Backoff, is_transient, wait_event
from core.services import broker_access
from core.services.broker_access import Access, Acl
from processor.counters import Counters
from processor.dynsec import Command, ControlError, DynamicSecurity

log = logging.getLogger(__name__)

UNPAIRED = orjson.dumps({"status": "unpaired"})
SWEEP_INTERVAL = 60.0
_ROLE_PREFIX = broker_access.role_name("")
_PAIRED_ONLY = "publishClientSend"


class BrokerAccess:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        control: DynamicSecurity | None,
        counters: Counters,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._control = control
        self._counters = counters
        # What the broker's device roles allow, as far as we know (None: not read from the broker yet).
        self._granted: dict[str, frozenset[Acl]] | None = None
        self._dirty: set[str] = set()
        self._everything = True
        self._last_full = 0.0
        self._wanted = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self._control is not None

    def changed(self, uid: str) -> None:
        """NOTIFY: this device's rights may have changed (paired, removed)."""
        self._dirty.add(uid)
        self._wanted.set()

    def resync(self) -> None:
        """Compare every device (the LISTEN connection was (re)established: NOTIFYs may have been missed)."""
        self._everything = True
        self._wanted.set()

    async def run(self) -> None:
        if self._control is None:
            await asyncio.Event().wait()
        backoff = Backoff(first=0.5, ceiling=10.0)
        while True:
            await wait_event(self._wanted, SWEEP_INTERVAL)
            self._wanted.clear()
            try:
                async with self._lock:
                    await self._round()
                backoff.reset()
            except (ControlError, *DATABASE_ERRORS) as error:  # type: ignore[misc]
                if not isinstance(error, ControlError) and not is_transient(error):
                    raise
                log.warning("broker access postponed error=%r", error)
                self._everything = True
                await backoff.sleep()
                self._wanted.set()

    async def register(self, uid: str, secret: str, access: Access) -> None:
        """The device asked with its secret (already checked against PostgreSQL): make sure it can log in."""
        if self._control is None:
            return
        async with self._lock:
            granted = await self._known()
            role = broker_access.role_name(uid)
            if uid not in granted:
                wanted = broker_access.acls(uid, access)
                await self._control.execute(
                    {"command": "createRole", "rolename": role, "acls": [_acl(acl) for acl in wanted]},
                    {
                        "command": "createClient",
                        "username": uid,
                        "password": secret,
                        "roles": [{"rolename": role}],
                    },
                    tolerate=("Role already exists", "Client already exists"),
                )
                granted[uid] = wanted
                self._counters.add("broker_registered")
                log.info("broker account registered uid=%s access=%s", uid, access)
            await self._apply(uid, access)

    async def ensure(self, uid: str) -> None:
        """Bring one device's rights up to date now (before it is told it is paired)."""
        if self._control is None:
            return
        async with self._lock:
            await self._sync({uid})

    async def _round(self) -> None:
        full = self._everything or time.monotonic() - self._last_full >= SWEEP_INTERVAL
        uids = None if full else set(self._dirty)
        self._everything = False
        self._dirty.clear()
        try:
            await self._sync(uids)
        except BaseException:
            self._dirty |= uids or set()
            raise
        if full:
            self._last_full = time.monotonic()

    async def _sync(self, uids: set[str] | None) -> None:
        granted = await self._known()
        async with self._sessionmaker() as session:
            wanted = await broker_access.desired(session, datetime.now(UTC), uids)
        # A role the database knows nothing of (the device is gone, or never asked with a secret) goes.
        for uid in (set(granted) if uids is None else uids & set(granted)) - set(wanted):
            wanted[uid] = Access.NONE
        for uid, access in wanted.items():
            await self._apply(uid, access)

    async def _apply(self, uid: str, access: Access) -> None:
        assert self._control is not None and self._granted is not None
        current = self._granted.get(uid)
        if current is None:
            return  # no account: only the device's next request (with its secret) can create one
        wanted = broker_access.acls(uid, access)
        role = broker_access.role_name(uid)
        if not wanted:
            if any(kind == _PAIRED_ONLY and topic.startswith("devices/") for kind, topic in current):
                # Told first, on the same connection as the deletion: it reaches the device before the kick.
                await self._control.publish(topics.provision_response(uid), UNPAIRED, retain=True)
            await self._control.execute(
                {"command": "deleteClient", "username": uid},
                {"command": "deleteRole", "rolename": role},
                tolerate=("Client not found", "Role not found"),
            )
            del self._granted[uid]
            self._counters.add("broker_revoked")
            log.info("broker account revoked uid=%s", uid)
            return
        commands: list[Command] = [
            {"command": "addRoleACL", "rolename": role, **_acl(acl)} for acl in sorted(wanted - current)
        ]
        commands += [
            {"command": "removeRoleACL", "rolename": role, "acltype": kind, "topic": topic}
            for kind, topic in sorted(current - wanted)
        ]
        if commands:
            await self._control.execute(*commands, tolerate=("ACL with this topic already exists",))
            self._granted[uid] = wanted
            log.info("broker rights changed uid=%s access=%s", uid, access)

    async def _known(self) -> dict[str, frozenset[Acl]]:
        """The device roles on the broker, read once (then kept up to date by our own commands)."""
        if self._granted is None:
            assert self._control is not None
            (answer,) = await self._control.execute({"command": "listRoles", "verbose": True, "count": -1})
            granted: dict[str, frozenset[Acl]] = {}
            for role in answer.get("data", {}).get("roles", []):
                name = role.get("rolename", "")
                if name.startswith(_ROLE_PREFIX):
                    granted[name[len(_ROLE_PREFIX) :]] = frozenset(
                        (acl["acltype"], acl["topic"]) for acl in role.get("acls", [])
                    )
            self._granted = granted
            log.info("broker device roles loaded count=%s", len(granted))
        return self._granted


def _acl(acl: Acl) -> dict[str, object]:
    kind, topic = acl
    return {"acltype": kind, "topic": topic, "allow": True}
