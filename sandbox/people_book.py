"""The web chat's people kept in a file, so that a restarted sandbox speaks as the same Telegram users."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sandbox.botapi import BotApiServer

log = logging.getLogger(__name__)


class PeopleBook:
    """The web chat's people in a JSON file, so that a restarted sandbox speaks as the same Telegram users.

    The bot's database remembers people by their Telegram id (their devices, roles, language): a restart that
    handed out the same ids to new people would make them someone else. Chats themselves are not kept.
    """

    def __init__(self, path: Path) -> None:
        self._path = path

    def restore(self, server: BotApiServer) -> None:
        try:
            entries = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as error:
            log.warning("people file unreadable path=%s error=%s: starting with nobody", self._path, error)
            return
        for entry in entries:
            server.user(str(entry["name"]), str(entry["language"]), user_id=int(entry["id"]))

    def save(self, server: BotApiServer) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        draft = self._path.with_suffix(".tmp")
        draft.write_text(json.dumps([person.as_person() for person in server.people()], ensure_ascii=False))
        draft.replace(self._path)
