"""A local Infisical: the two endpoints `infisical-python` calls, found by watching the SDK's requests.

    POST /api/v1/auth/universal-auth/login   {"clientId", "clientSecret"} -> {"accessToken", ...} or 401
    GET  /api/v3/secrets/raw?workspaceId=&environment=&secretPath=/   (Bearer token) -> {"secrets": [...]}

The SDK is native code that holds the GIL while it waits for an answer, so it must never be called from the
process serving this double: tests run the programs as child processes, as an operator would.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field

from aiohttp import web

from core.web import serving
from sandbox.ports import free_port


@dataclass
class InfisicalDouble:
    """One machine identity (client id/secret) allowed to read one project's environment."""

    secrets: dict[str, str]
    client_id: str = "smartair-identity"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    project_id: str = "smartair-project"
    environment: str = "prod"
    port: int = field(default_factory=free_port)
    requests: list[str] = field(default_factory=list)
    _tokens: set[str] = field(default_factory=set)
    _serving: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment_for_programs(self, **overrides: str) -> dict[str, str]:
        """The INFISICAL_* settings a program needs to load this double's secrets."""
        return {
            "INFISICAL_SITE_URL": self.url,
            "INFISICAL_CLIENT_ID": self.client_id,
            "INFISICAL_CLIENT_SECRET": self.client_secret,
            "INFISICAL_PROJECT_ID": self.project_id,
            "INFISICAL_ENVIRONMENT": self.environment,
            **overrides,
        }

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/v1/auth/universal-auth/login", self._login)
        app.router.add_get("/api/v3/secrets/raw", self._list)
        await self._serving.enter_async_context(serving(app, self.port, host="127.0.0.1"))

    async def close(self) -> None:
        await self._serving.aclose()

    async def _login(self, request: web.Request) -> web.Response:
        self.requests.append("login")
        body = await request.json()
        if (body.get("clientId"), body.get("clientSecret")) != (self.client_id, self.client_secret):
            return _error(401, "Invalid credentials")
        token = secrets.token_urlsafe(16)
        self._tokens.add(token)
        return web.json_response(
            {"accessToken": token, "expiresIn": 7200, "accessTokenMaxTTL": 7200, "tokenType": "Bearer"}
        )

    async def _list(self, request: web.Request) -> web.Response:
        self.requests.append("list")
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self._tokens:
            return _error(401, "Token missing or invalid")
        query = request.query
        if (query.get("workspaceId"), query.get("environment")) != (self.project_id, self.environment):
            return _error(404, "Folder with path '/' in environment not found")
        return web.json_response(
            {"secrets": [self._secret(k, v) for k, v in self.secrets.items()], "imports": []}
        )

    def _secret(self, key: str, value: str) -> dict[str, object]:
        return {
            "_id": secrets.token_hex(12),
            "version": 1,
            "workspace": self.project_id,
            "type": "shared",
            "environment": self.environment,
            "secretKey": key,
            "secretValue": value,
            "secretComment": "",
        }


def _error(status: int, message: str) -> web.Response:
    reason = "Unauthorized" if status == 401 else "Not Found"
    return web.json_response({"statusCode": status, "message": message, "error": reason}, status=status)
