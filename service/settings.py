"""The prediction service's settings: one typed object, from the environment and the command line.

Every field can be set as `STOPLINE_SERVICE_<FIELD>` (for example
`STOPLINE_SERVICE_MAX_BATCH_ROWS=200`); command-line options override the
environment. A bad value stops the start with a message naming the setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.errors import StoplineError

ENV_PREFIX = "STOPLINE_SERVICE_"
LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class SettingsError(StoplineError):
    """A service setting is invalid; the message names each bad setting and its variable."""


class ServiceSettings(BaseSettings):
    """How the prediction service runs: what it serves, where it listens, and its limits."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    bundle: Path = Field(Path("artifacts/model"), description="Directory of the model bundle to serve.")
    host: str = Field("127.0.0.1", min_length=1, description="Interface to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    max_batch_rows: int = Field(
        1000, ge=1, le=100_000, description="Most rows (instances) one prediction request may carry."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, le=268_435_456, description="Largest request body accepted, in bytes; larger is 413."
    )
    max_in_flight: int = Field(
        64, ge=1, le=100_000, description="Most prediction requests handled at once; more are answered 503."
    )
    retry_after_s: int = Field(1, ge=1, le=3600, description="Seconds an overloaded client is told to wait.")
    shutdown_grace_s: int = Field(
        10, ge=0, le=3600, description="Seconds requests in flight may take to finish after SIGTERM."
    )
    linger_bytes: int = Field(
        16_777_216, ge=0, le=1_073_741_824,
        description="Most bytes of a refused body read and discarded, so that its client receives the 413.",
    )
    linger_s: float = Field(
        5.0, ge=0, le=60, description="Most seconds spent discarding a refused body before the connection closes."
    )
    head_timeout_s: float = Field(
        5.0, gt=0, le=300,
        description="Most seconds a request's line and headers may take to arrive; slower is 408 and closed.",
    )
    max_head_bytes: int = Field(
        16_384, ge=1024, le=1_048_576,
        description="Largest request line plus headers, in bytes; a longer line is 414, longer headers 431.",
    )
    max_headers: int = Field(100, ge=10, le=10_000, description="Most headers one request may carry; more is 431.")
    log_level: LogLevel = Field("info", description="Least severe log level written.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case_level(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


def load_settings(**overrides: Any) -> ServiceSettings:
    """Give the settings from the environment, with `overrides` (None means unset) on top.

    Raises SettingsError naming each bad setting, its environment variable and the problem.
    """
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return ServiceSettings(**given)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "(settings)"
            where = "" if name == "(settings)" else f" ({ENV_PREFIX}{name.upper()})"
            problems.append(f"{name}{where}: {error['msg']}, got {error.get('input')!r}")
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None
