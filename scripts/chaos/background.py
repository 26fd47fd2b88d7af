"""A measurement that runs on a thread of its own for the length of a `with` block."""

from __future__ import annotations

import threading
from typing import Self


class Background:
    """Runs `_run` on a daemon thread from `with` until the block ends; `_run` returns once `_stop` is set."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        raise NotImplementedError
