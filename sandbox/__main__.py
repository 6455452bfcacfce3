"""`python -m sandbox`: the Bot API and the web chat on one port (SANDBOX_PORT, default 8080).

Point the bot at it (`BOT_TOKEN=<sandbox.settings.TOKEN> TELEGRAM_API_URL=http://127.0.0.1:8080`) and open
http://127.0.0.1:8080 in a browser; `./start.sh local` without a BOT_TOKEN does both.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from core.settings import SandboxSettings, load
from core.web import new_app, serving
from sandbox import settings
from sandbox.botapi import BotApiServer
from sandbox.chat import WebChat
from sandbox.devices import DevicePanel
from sandbox.people_book import PeopleBook

log = logging.getLogger("sandbox")


def build(port: int, people: Path) -> tuple[web.Application, BotApiServer]:
    """The sandbox's one application: Bot API, web chat and device panel."""
    server = BotApiServer(settings.TOKEN, settings.USERNAME, port=port, record=False)
    book = PeopleBook(people)
    book.restore(server)
    panel = DevicePanel(server)
    app = new_app()
    server.add_routes(app)
    panel.add_routes(app)
    WebChat(server, panel, book).add_routes(app)
    return app, server


async def run(config: SandboxSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app, server = build(config.sandbox_port, Path(config.sandbox_people_file))
    # Loopback only: anyone who can reach the page can act as any person and read every chat.
    try:
        async with serving(app, config.sandbox_port, host="127.0.0.1") as port:
            server.port = port
            log.info("sandbox ready chat=http://127.0.0.1:%s bot_api=http://127.0.0.1:%s", port, port)
            await stop.wait()
    except OSError as error:  # only binding can raise it here: the body just waits
        print(  # noqa: T201 - the operator's console is the audience
            f"sandbox: cannot listen on 127.0.0.1:{config.sandbox_port} ({error.strerror}); "
            "set SANDBOX_PORT to a free port",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def main() -> None:
    config = load(SandboxSettings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run(config))


if __name__ == "__main__":
    main()
