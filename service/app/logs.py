"""JSON logs: one object per line on stderr, for the access log and everything else the service says.

Set up by `python -m service` at start (never at import), so tests and other
hosts keep their own logging.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

ACCESS_LOGGER = "stopline.access"
# Loggers whose records the service formats; uvicorn's own access log is off (ours replaces it).
SERVICE_LOGGERS = ("stopline", "uvicorn", "uvicorn.error")


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, and its `fields` extra.

    The time is logging's own formatTime in UTC, ISO 8601 to the millisecond
    (`2026-12-02T19:45:01.123+00:00`).
    """

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03d+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record),
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
    # The JSON lines show no process, thread or process-pool names: spare every record finding them.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in SERVICE_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
