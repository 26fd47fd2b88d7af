"""JSON logs: one object per line on stderr, for the access log and everything else the service says.

Set up by `python -m service` at start (never at import), so tests and other
hosts keep their own logging.
"""

from __future__ import annotations

import logging
import math
import sys
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import orjson

ACCESS_LOGGER = "stopline.access"
# Loggers whose records the service formats; uvicorn's own access log is off (ours replaces it).
SERVICE_LOGGERS = ("stopline", "uvicorn", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, and its `fields` extra."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": timestamp(record.created),
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


def timestamp(created: float) -> str:
    """Give `created` (seconds since the epoch) as ISO 8601 UTC to the millisecond, as datetime writes it."""
    seconds = math.floor(created)
    micros = round((created - seconds) * 1e6)  # datetime.fromtimestamp's rounding, then its truncation to ms
    if micros >= 1_000_000:
        seconds, micros = seconds + 1, micros - 1_000_000
    return f"{_second(seconds)}.{micros // 1000:03d}+00:00"


@lru_cache(maxsize=4)
def _second(seconds: int) -> str:
    # One datetime per second of log lines, not one per line.
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def configure_logging(level: str) -> None:
    """Send the service's loggers to stderr as JSON lines at `level`."""
    # The JSON lines show no process, thread or process-pool names: spare every record finding them.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
