"""`python -m core.probe processor|bot`: healthcheck; exit 0 when the program's `/healthz` answers.

The port comes from the same settings the program reads (`PROCESSOR_HTTP_PORT`, `BOT_HTTP_PORT`), so the
healthcheck follows a changed port without editing docker-compose.yml.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from core.settings import HttpSettings, load

_TIMEOUT_SECONDS = 3.0


def healthy(port: int, host: str = "127.0.0.1") -> bool:
    """True when `http://host:port/healthz` answers 200 within a few seconds."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=_TIMEOUT_SECONDS) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def main(argv: list[str]) -> int:
    http = load(HttpSettings)
    ports = {"processor": http.processor_http_port, "bot": http.bot_http_port}
    if len(argv) != 1 or argv[0] not in ports:
        print("usage: python -m core.probe processor|bot", file=sys.stderr)  # noqa: T201 - a CLI's usage line
        return 2
    return 0 if healthy(ports[argv[0]]) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
