"""`python -m processor`: settings from the environment, key=value logs, exit 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging

from core.settings import DatabaseSettings, MqttSettings, load
from processor.app import Processor


async def _main(database: DatabaseSettings, broker: MqttSettings) -> None:
    processor = Processor(database, broker)
    processor.install_signal_handlers()
    await processor.run()


def main() -> None:
    database, broker = load(DatabaseSettings), load(MqttSettings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
    )
    # paho logs every packet at DEBUG and aiomqtt repeats connection errors we already report.
    logging.getLogger("mqtt").setLevel(logging.WARNING)
    asyncio.run(_main(database, broker))


if __name__ == "__main__":
    main()
