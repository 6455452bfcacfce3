"""`python -m processor.broker --port P --data DIR`: Mosquitto, shipped configuration, in the foreground.

The configuration is mosquitto/mosquitto.conf with the port, the data folder and the dynamic-security
plugin's path filled in. On first start (no DIR/dynamic-security.json yet) it creates the plugin's state:
the server's own account from MQTT_USERNAME/MQTT_PASSWORD, allowed everything, and the anonymous group, which
may only publish `provision/+/request`. Everything else is denied until the processor grants it per device.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

from core.settings import MqttSettings, load

SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "mosquitto" / "mosquitto.conf"
DYNSEC_FILE = "dynamic-security.json"
SERVER_ROLE = "server"
ANONYMOUS = "anonymous"
# Where distributions put the plugin (Debian amd64/arm64, Alpine/eclipse-mosquitto, a source build).
_PLUGIN_PATHS = (
    "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
    "/usr/lib/mosquitto_dynamic_security.so",
    "/usr/local/lib/mosquitto_dynamic_security.so",
)
# What the plugin itself writes for a password (mosquitto_ctrl dynsec init): PBKDF2-SHA512, 101 rounds.
_PBKDF2_ROUNDS = 101


def _acl(kind: str, topic: str) -> dict[str, Any]:
    return {"acltype": kind, "topic": topic, "allow": True}


def _everything() -> list[dict[str, Any]]:
    # `#` does not match topics starting with `$`: the control topic and shared subscriptions are listed.
    acls = []
    for topic in ("#", "$CONTROL/dynamic-security/#", "$share/#"):
        acls += [
            _acl(kind, topic) for kind in ("publishClientReceive", "subscribePattern", "unsubscribePattern")
        ]
    acls += [_acl("publishClientSend", topic) for topic in ("#", "$CONTROL/dynamic-security/#")]
    return acls


def _client(username: str, password: str, roles: list[str]) -> dict[str, Any]:
    salt = secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, _PBKDF2_ROUNDS)
    return {
        "username": username,
        "password": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "iterations": _PBKDF2_ROUNDS,
        "roles": [{"rolename": role} for role in roles],
    }


def initial_state(username: str, password: str) -> dict[str, Any]:
    """The plugin's first state: the server's account and the anonymous group; everything else denied."""
    return {
        "clients": [_client(username, password, [SERVER_ROLE])],
        "roles": [
            {"rolename": SERVER_ROLE, "acls": _everything()},
            {"rolename": ANONYMOUS, "acls": [_acl("publishClientSend", "provision/+/request")]},
        ],
        "groups": [{"groupname": ANONYMOUS, "roles": [{"rolename": ANONYMOUS}], "clients": []}],
        "anonymousGroup": ANONYMOUS,
        "defaultACLAccess": {
            "publishClientSend": False,
            "publishClientReceive": True,
            "subscribe": False,
            "unsubscribe": True,
        },
    }


def plugin_path() -> str:
    for candidate in _PLUGIN_PATHS:
        if Path(candidate).exists():
            return candidate
    raise SystemExit("mosquitto_dynamic_security.so not found: install Mosquitto 2.x with its plugins")


def config_text(port: int, data: Path, plugin: str, bind: str = "") -> str:
    """The shipped configuration for this port (and address) and data folder."""
    text = SHIPPED_CONFIG.read_text()
    replacements = {
        r"^listener \d+.*$": f"listener {port} {bind}".rstrip(),
        r"^persistence_location .*$": f"persistence_location {data}/",
        r"^plugin .*$": f"plugin {plugin}",
        r"^plugin_opt_config_file .*$": f"plugin_opt_config_file {data / DYNSEC_FILE}",
    }
    for pattern, line in replacements.items():
        text = re.sub(pattern, line, text, flags=re.M)
    if os.geteuid() == 0:
        # Started as root, Mosquitto drops to the `mosquitto` user, which may not write our data folder:
        # its persistence and the plugin's state would silently not be saved.
        text += f"\nuser {getpass.getuser()}\n"
    return text


def prepare(port: int, data: Path, settings: MqttSettings, bind: str = "") -> Path:
    """Write DIR/mosquitto.conf (and, on first start, the plugin's state); returns the config's path."""
    data.mkdir(parents=True, exist_ok=True)
    state = data / DYNSEC_FILE
    if not state.exists():
        password = settings.mqtt_password.get_secret_value()
        if not settings.mqtt_username or not password:
            raise SystemExit("MQTT_USERNAME and MQTT_PASSWORD are required: the server's broker account")
        state.write_text(json.dumps(initial_state(settings.mqtt_username, password), indent=1))
        state.chmod(0o600)
    config = data / "mosquitto.conf"
    config.write_text(config_text(port, data, plugin_path(), bind))
    return config


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m processor.broker", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--data", type=Path, required=True, help="persistence and dynamic-security state")
    parser.add_argument("--bind", default="", help="listen on this address only (default: all)")
    args = parser.parse_args(argv)
    config = prepare(args.port, args.data.resolve(), load(MqttSettings), args.bind)
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    sys.stdout.flush()
    os.execv(mosquitto, [mosquitto, "-c", str(config)])


if __name__ == "__main__":
    main()
