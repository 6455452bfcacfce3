"""`python -m device.simulate --devices N --interval S`: a fleet of virtual devices over MQTT.

Air-quality monitors by default; `--types air,meter,host` mixes in electricity meters and computers (SPEC 3a).

For demos (believable curves; each device obeys its retained config and the ping/live/restart commands
like the real agent), tests and load (`--rate`, `--duration`, `--qos`). SIGINT/SIGTERM stop it cleanly:
every device publishes its offline status before the connections close.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import time
from typing import Any

from device.connection import BrokerAddress
from device.fleet import MODELS, FleetOptions, build_fleet, run_fleet
from device.panel import SandboxPanel


def _types(text: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in text.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in MODELS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(MODELS)}")
    return kinds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m device.simulate", description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10, help="number of virtual devices")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between readings per device")
    parser.add_argument("--rate", type=float, default=0.0, help="total messages/s instead of --interval")
    parser.add_argument(
        "--duration", type=float, default=0.0, help="stop after this many seconds (0 = never)"
    )
    parser.add_argument("--qos", type=int, choices=(0, 1), default=1, help="telemetry QoS")
    parser.add_argument("--connections", type=int, default=200, help="at most this many MQTT connections")
    parser.add_argument("--provision", action="store_true", help="ask for pairing codes and print them")
    parser.add_argument(
        "--backfill",
        type=float,
        default=0.0,
        metavar="HOURS",
        help="once paired, a device sends this many hours of past readings (a demo's charts start full)",
    )
    parser.add_argument(
        "--sandbox", default="", metavar="URL", help="also show the codes on this sandbox's device panel"
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same rooms and noise")
    parser.add_argument(
        "--ota-failure-rate",
        type=float,
        default=0.0,
        help="share (0-1) of simulated firmware updates that fail and roll back: shows a canary halting",
    )
    parser.add_argument(
        "--types",
        type=_types,
        default=("air",),
        metavar="KINDS",
        help="comma-separated kinds taken in turn: air (CO2 monitors), meter, host (default: air)",
    )
    parser.add_argument("--prefix", default="sim", help="uid prefix: sim → sim-0001")
    parser.add_argument("--first", type=int, default=1, help="number of the first uid")
    parser.add_argument("--host", default=os.environ.get("MQTT_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("MQTT_PORT", "1883")))
    # Without an account each device logs in as itself with its own secret, pairing first (SPEC section 3);
    # many devices per connection (more devices than --connections) need an account allowed to send for all.
    parser.add_argument("--username", default="", help="an account for the whole fleet (multiplexing)")
    parser.add_argument("--password", default="")
    parser.add_argument(
        "--tls", action="store_true", default=os.environ.get("MQTT_TLS", "").lower() == "true"
    )
    args = parser.parse_args(argv)
    if args.devices < 1 or args.connections < 1 or args.interval <= 0:
        parser.error("--devices, --connections and --interval must be positive")
    if args.devices > args.connections and not args.username:
        parser.error("more devices than --connections share connections: that needs --username/--password")
    if not 0 <= args.ota_failure_rate <= 1:
        parser.error("--ota-failure-rate is a share between 0 and 1")
    if args.sandbox and not args.provision:
        parser.error("--sandbox shows pairing codes: it needs --provision")
    return args


def print_provisioning(uid: str, body: Any) -> None:
    """The console is the simulator's user interface: the code is what a person types into /add."""
    status = body.get("status") if isinstance(body, dict) else None
    if status == "pending":
        print(f"{uid} pairing code {body.get('code')} expires_at={body.get('expires_at')}", flush=True)
    elif status == "paired":
        print(f"{uid} paired", flush=True)
    else:
        print(f"{uid} provisioning response {body!r}", flush=True)


async def main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if args.duration > 0:
        loop.call_later(args.duration, stop.set)
    devices = build_fleet(
        args.devices, seed=args.seed, prefix=args.prefix, first=args.first, types=args.types
    )
    address = BrokerAddress(args.host, args.port, args.username, args.password, args.tls)
    options = FleetOptions(
        address, args.interval, args.rate, args.qos, args.provision, args.backfill, args.ota_failure_rate
    )
    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        panel = await stack.enter_async_context(SandboxPanel(args.sandbox)) if args.sandbox else None

        def on_provisioning(uid: str, body: Any) -> None:
            print_provisioning(uid, body)
            if panel is not None:
                panel.show(uid, body)

        stats = await run_fleet(devices, options, args.connections, stop, on_provisioning)
    elapsed = time.monotonic() - started
    print(f"published {stats.published} readings in {elapsed:.1f} s ({stats.published / elapsed:.0f}/s)")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main(parse_args()))
