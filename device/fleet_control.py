"""How a virtual device obeys the server (SPEC sections 3 and 6): retained config, commands and OTA.

The same rules as the agent's: a config changes the report interval and is confirmed with
`config_applied`; `ping`, `live` (5-second reports for `args.duration` s) and `restart` are answered with
`command_result`. A simulated fleet thus shows "applied" and live mode in the bot like real devices.
An `ota` document walks through downloading, verifying and installing, then succeeds (the device reports
the new version) or, for `failure_rate` of the devices, rolls back: so a canary can be shown halting.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, Protocol

import aiomqtt
import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core import topics
from device import payloads
from device.messages import Command, Config, live_duration

log = logging.getLogger(__name__)

STEP = 0.05  # seconds between a simulated update's states


class Device(Protocol):
    uid: str
    interval: float
    live_until: float
    started: float
    firmware: str
    updates_done: set[str]

    def status(self, online: bool) -> bytes: ...


class Schedule(Protocol):
    def reschedule(self, device: Any, due: float) -> None: ...


async def obey(
    client: aiomqtt.Client,
    device: Device,
    kind: str,
    body: Any,
    schedule: Schedule,
    *,
    failure_rate: float = 0.0,
) -> None:
    """React to one message on `devices/{uid}/config`, `…/commands` or `…/ota`."""
    try:
        if kind == topics.OTA:
            await _update(client, device, OtaOffer.model_validate(body), failure_rate)
        elif kind == topics.CONFIG:
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


class OtaOffer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    version: str = Field(min_length=1, max_length=32)


async def _update(client: aiomqtt.Client, device: Device, offer: OtaOffer, failure_rate: float) -> None:
    if offer.id in device.updates_done or offer.version == device.firmware:
        return
    device.updates_done.add(offer.id)
    for state in ("downloading", "verifying", "installing"):
        await _event(client, device, _ota(offer.id, state))
        await asyncio.sleep(STEP)
    # The same device fails the same update every run: a demo can be repeated.
    if random.Random(f"{device.uid}:{offer.id}").random() < failure_rate:
        await _event(
            client, device, _ota(offer.id, "rolled_back", "simulated: no healthy reading on the new slot")
        )
        return
    device.firmware = offer.version
    device.started = time.time()  # rebooted into the new slot
    status = topics.device_topic(device.uid, topics.STATUS)
    await client.publish(status, device.status(True), qos=1, retain=True)
    await _event(client, device, _ota(offer.id, "success"))


def _ota(update_id: str, state: str, error: str | None = None) -> bytes:
    body: dict[str, Any] = {"type": "ota", "id": update_id, "state": state}
    if error:
        body["error"] = error
    return orjson.dumps(body)


async def _event(client: aiomqtt.Client, device: Device, body: bytes) -> None:
    await client.publish(topics.device_topic(device.uid, topics.EVENTS), body, qos=1)
