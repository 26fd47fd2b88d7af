"""Micro-batching: small requests that arrive in the same event-loop turn share one model call.

Under concurrent load most of a small request's cost is the fixed price of
one `encode` and one ONNX Runtime run, whatever the row count. Requests
waiting here are flushed together on the loop's next turn: no timer, no
added wait when a request is alone, and each request gets exactly its own
rows back. Rows are independent in the model, so batching never changes an
answer beyond float32 rounding (the parity tests hold it to 1e-6).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from service.features import Columns
from service.predictor import Predictions

Waiting = tuple[Columns, int, "asyncio.Future[Predictions]"]


class MicroBatcher:
    """Runs `predict` once per loop turn over every small request waiting, then hands each its rows."""

    def __init__(self, predict: Callable[[Columns], Predictions], names: Sequence[str], max_rows: int) -> None:
        self._predict = predict
        self._names = tuple(names)
        self.max_rows = max_rows  # a request with more rows runs alone, at once
        self._waiting: list[Waiting] = []

    async def predict(self, columns: Columns, rows: int) -> Predictions:
        """Give the predictions for `rows` rows of `columns`, computed with whatever else is waiting."""
        if rows > self.max_rows:
            return self._predict(columns)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Predictions] = loop.create_future()
        if not self._waiting:
            loop.call_soon(self._flush)
        self._waiting.append((columns, rows, future))
        return await future

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        if len(waiting) == 1:
            merged = waiting[0][0]
        else:
            merged = {name: [v for columns, _, _ in waiting for v in columns[name]] for name in self._names}
        try:
            answer = self._predict(merged)
        except Exception as exc:  # a model failure fails every request that shared the call
            for _, _, future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for _, rows, future in waiting:
            if not future.done():  # a cancelled request (client gone) just drops its rows
                indices = None if answer.indices is None else answer.indices[start:start + rows]
                future.set_result(Predictions(indices, answer.outputs[start:start + rows]))
            start += rows
