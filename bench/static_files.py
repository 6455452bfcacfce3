"""`python -m bench.static_files DIR PORT`: the download baseline of bench/ota.py — a plain aiohttp static
file server (`add_static`: sendfile, range requests) serving DIR under /firmware/, and nothing else: no
token, no database."""

from __future__ import annotations

import sys

from aiohttp import web


def main(folder: str, port: int) -> None:
    app = web.Application()
    app.router.add_static("/firmware/", folder)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
