"""The real ClickHouse engine (embedded by `chdb`) behind a small endpoint speaking the part of ClickHouse's
HTTP interface `clickhouse-connect` uses: no ClickHouse server package fits our machines.

    python -m sandbox.clickhouse_http PORT DATA_DIR

A query comes in the `query` parameter and/or the body; its own `FORMAT` clause decides the answer's format
(TabSeparated otherwise, as ClickHouse does). An insert is `INSERT … FORMAT Native` on the body's first
line and the rows in Native format after it (chunked); the engine reads them back through
`file(…, 'Native')`. Errors answer 500 with `X-ClickHouse-Exception-Code`, as the server does. Run it in a
process of its own: chdb keeps one engine per process. `ClickHouseServer` starts and stops one for a test;
its data folder survives a restart, so a test can stop "ClickHouse" and bring it back.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sandbox.ports import free_port

_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+", re.IGNORECASE)


def serve(port: int, data_dir: str) -> None:
    import chdb.session  # noqa: PLC0415 - only the endpoint's own process loads the engine

    session = chdb.session.Session(data_dir)
    engine_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def log_message(self, *args: object) -> None:  # quiet
            return

        def _answer(self) -> None:
            params = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            body = self._body()
            sql = params.get("query", [""])[0]
            try:
                with engine_lock:
                    result = self._run(session, sql, body)
            except Exception as error:  # the engine's refusal, returned as ClickHouse would
                self._send(500, str(error).encode(), {"X-ClickHouse-Exception-Code": "1"})
                return
            self._send(200, result, {})

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":  # inserts stream their rows
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)

        def _run(self, session, sql: str, body: bytes) -> bytes:  # type: ignore[no-untyped-def]
            if not sql and _INSERT.match(body[:64].decode(errors="replace")):
                # clickhouse-connect's insert: the statement's line, then the rows in Native format.
                first_line, _, body = body.partition(b"\n")
                sql = first_line.decode()
            if _INSERT.match(sql):
                with tempfile.NamedTemporaryFile(suffix=".native", dir=data_dir) as rows:
                    rows.write(body)
                    rows.flush()
                    statement = _FORMAT.sub("", sql) + f" SELECT * FROM file('{rows.name}', 'Native')"
                    return bytes(session.query(statement, "TabSeparated").bytes())
            statement = f"{sql}\n{body.decode()}" if sql else body.decode()
            output = "TabSeparated" if not _FORMAT.search(statement) else "Native"
            return bytes(session.query(statement, output).bytes())

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


@dataclass
class ClickHouseServer:
    """The endpoint as a child process; stop() and start() keep its port and its data."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "sandbox.clickhouse_http", str(self.port), str(self.data_dir)]
        self.process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[2])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the ClickHouse endpoint exited")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the ClickHouse endpoint did not listen on {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
