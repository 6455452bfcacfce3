"""A device agent's config file, as an installer writes it, for tests that run `python -m device`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.broker import server_account


def agent_config(workdir: Path, broker_port: int, **settings: Any) -> Path:
    """A device.json in `workdir`; `settings` override the defaults.

    A device registered by the factory (`pairing: false`) logs in with an account made for it; here that is
    the server's account. A device that pairs itself (`pairing: true`, no username) uses its own secret.
    """
    username, password = server_account()
    pairs = settings.get("pairing", False)
    config = {
        "uid": "agent-test",
        "mqtt_host": "127.0.0.1",
        "mqtt_port": broker_port,
        "mqtt_username": "" if pairs else username,
        "mqtt_password": "" if pairs else password,
        "buffer_path": str(workdir / "buffer.sqlite3"),
        "report_interval": 30,
        "pairing": False,
        "reconnect_max_delay": 1,
        **settings,
    }
    path = workdir / "device.json"
    path.write_text(json.dumps(config))
    return path
