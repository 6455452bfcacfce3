"""`python -m processor`: settings from the environment, key=value logs, exit 0 on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging

from core import web
from core.settings import DatabaseSettings, HttpSettings, MqttSettings, load
from processor.app import Processor


async def _main(database: DatabaseSettings, broker: MqttSettings, http: HttpSettings) -> None:
    processor = Processor(database, broker)
    processor.install_signal_handlers()
    async with web.serving(web.new_app(), http.processor_http_port):
        await processor.run()


def main() -> None:
    database, broker, http = load(DatabaseSettings), load(MqttSettings), load(HttpSettings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
    )
    # paho logs every packet at DEBUG and aiomqtt repeats connection errors we already report.
    logging.getLogger("mqtt").setLevel(logging.WARNING)
    asyncio.run(_main(database, broker, http))


if __name__ == "__main__":
    main()
