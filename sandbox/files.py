"""Files the bot uploaded, kept by file_id for getFile, downloads, re-sends and the web chat."""

from __future__ import annotations

import itertools
import mimetypes
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str  # what getFile returns; downloads are served at /file/bot<token>/<file_path>
    name: str
    content: bytes

    @property
    def mime_type(self) -> str:
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"

    def as_telegram(self) -> dict[str, object]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def add(self, kind: str, content: bytes, name: str) -> StoredFile:
        """Store an upload; `kind` is photos or documents (Telegram's own folders in file paths)."""
        number = next(self._numbers)
        extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
        stored = StoredFile(
            file_id=f"{kind[:-1]}-{number}-sandbox",
            file_unique_id=f"u{number}",
            file_path=f"{kind}/file_{number}.{extension}",
            name=name,
            content=content,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)
