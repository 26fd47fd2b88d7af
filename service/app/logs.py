"""JSON logs: one object per line on stderr, for the access log and everything else the service says.

Set up by `python -m service` at start (never at import), so tests and other
hosts keep their own logging.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone
from typing import Any

import orjson

ACCESS_LOGGER = "stopline.access"
# Loggers whose records the service formats; uvicorn's own access log is off (ours replaces it).
SERVICE_LOGGERS = ("stopline", "uvicorn", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, and its `fields` extra."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str) -> None:
    """Send the service's loggers to stderr as JSON lines at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
