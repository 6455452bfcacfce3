"""How a virtual device obeys the server (SPEC sections 3 and 6): retained config and commands.

The same rules as the agent's: a config changes the report interval and is confirmed with
`config_applied`; `ping`, `live` (5-second reports for `args.duration` s) and `restart` are answered with
`command_result`. A simulated fleet thus shows "applied" and live mode in the bot like real devices.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

import aiomqtt
from pydantic import ValidationError

from core import topics
from device import payloads
from device.messages import Command, Config, live_duration

log = logging.getLogger(__name__)


class Device(Protocol):
    uid: str
    interval: float
    live_until: float
    started: float

    def status(self, online: bool) -> bytes: ...


class Schedule(Protocol):
    def reschedule(self, device: Any, due: float) -> None: ...


async def obey(client: aiomqtt.Client, device: Device, kind: str, body: Any, schedule: Schedule) -> None:
    """React to one message on `devices/{uid}/config` or `devices/{uid}/commands`."""
    try:
        if kind == topics.CONFIG:
            await _apply(client, device, Config.model_validate(body), schedule)
        elif kind == topics.COMMANDS:
            await _execute(client, device, Command.model_validate(body), schedule)
    except ValidationError as error:
        log.warning("device=%s ignored bad %s error=%s", device.uid, kind, str(error)[:200])


async def _apply(client: aiomqtt.Client, device: Device, config: Config, schedule: Schedule) -> None:
    if config.report_interval is not None and config.report_interval != device.interval:
        device.interval = config.report_interval
        schedule.reschedule(device, time.monotonic() + device.interval)
    await _event(client, device, payloads.config_applied(config.version))


async def _execute(client: aiomqtt.Client, device: Device, command: Command, schedule: Schedule) -> None:
    ok, error = True, None
    if command.command == "live":
        now = time.monotonic()
        device.live_until = now + live_duration(command)
        schedule.reschedule(device, now)
    elif command.command == "restart":
        device.started = time.time()  # a simulated reboot: uptime starts again
    elif command.command != "ping":
        ok, error = False, f"unknown command {command.command!r}"
    await _event(client, device, payloads.command_result(command.id, ok, error))
    if command.command == "restart":
        status = topics.device_topic(device.uid, topics.STATUS)
        await client.publish(status, device.status(True), qos=1, retain=True)


async def _event(client: aiomqtt.Client, device: Device, body: bytes) -> None:
    await client.publish(topics.device_topic(device.uid, topics.EVENTS), body, qos=1)
