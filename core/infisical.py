"""Secrets from Infisical at start (SPEC 2): the one place that talks to Infisical (`infisical-python`).

With `INFISICAL_CLIENT_ID` set, the program logs in with the machine identity (universal auth), lists the
project's secrets for `INFISICAL_ENVIRONMENT` and puts each into the process environment unless the
environment already has it: the environment wins, then Infisical, then `.env`. This runs once per process,
before any settings class is validated. Whatever fails, the program stops with one line naming it.
"""

from __future__ import annotations

import functools
import os

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_REQUIRED = ("INFISICAL_CLIENT_SECRET", "INFISICAL_PROJECT_ID", "INFISICAL_ENVIRONMENT")


class InfisicalError(Exception):
    """Infisical could not give this program its secrets; the message is one line and holds no secret."""


class InfisicalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    site_url: str = Field(default="https://app.infisical.com", alias="INFISICAL_SITE_URL")
    client_id: str = Field(default="", alias="INFISICAL_CLIENT_ID")
    client_secret: SecretStr = Field(default=SecretStr(""), alias="INFISICAL_CLIENT_SECRET")
    project_id: str = Field(default="", alias="INFISICAL_PROJECT_ID")
    environment: str = Field(default="", alias="INFISICAL_ENVIRONMENT")

    def missing(self) -> list[str]:
        values = (self.client_secret.get_secret_value(), self.project_id, self.environment)
        return [name for name, value in zip(_REQUIRED, values, strict=True) if not value]


def fetch(settings: InfisicalSettings) -> dict[str, str]:
    """The project's secrets for the configured environment, by name; raises InfisicalError on any failure."""
    # Imported here: the SDK loads a native library, which a program without Infisical never needs.
    from infisical_client import (  # noqa: PLC0415
        AuthenticationOptions,
        ClientSettings,
        InfisicalClient,
        ListSecretsOptions,
        UniversalAuthMethod,
    )

    secret = settings.client_secret.get_secret_value()
    auth = AuthenticationOptions(universal_auth=UniversalAuthMethod(settings.client_id, secret))
    try:
        client = InfisicalClient(ClientSettings(site_url=settings.site_url.rstrip("/"), auth=auth))
        listed = client.listSecrets(
            ListSecretsOptions(environment=settings.environment, project_id=settings.project_id)
        )
    except Exception as error:  # the SDK raises bare Exception for every failure, with a readable message
        reason = " ".join(str(error).split()).replace(secret, "***")
        raise InfisicalError(f"Infisical at {settings.site_url} failed to give secrets: {reason}") from None
    return {item.secret_key: item.secret_value for item in listed}


@functools.cache
def load_into_environment() -> tuple[str, ...]:
    """Once per process: put Infisical's secrets the environment lacks into it; return the names it added.

    Does nothing (and returns no names) while `INFISICAL_CLIENT_ID` is unset. Raises InfisicalError when
    the configuration is incomplete or Infisical refuses or cannot be reached.
    """
    settings = InfisicalSettings()
    if not settings.client_id:
        return ()
    if missing := settings.missing():
        raise InfisicalError(f"{', '.join(missing)} must be set when INFISICAL_CLIENT_ID is set")
    added = []
    for name, value in fetch(settings).items():
        if name not in os.environ:
            os.environ[name] = value
            added.append(name)
    return tuple(added)
