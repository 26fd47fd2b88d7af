"""The model being served, and the one layer between HTTP and it (as MLServer's DataPlane).

`load()` refuses anything it cannot vouch for: a bundle whose checksums fail, a
model whose input width differs from the schema's encoding, or one that does not
answer a test row in shape. A `ServedModel` then takes requests as their JSON
(records for /predict, tensors for V2), validates them with the schema's own
types (service.app.checks), predicts, and gives the answer as plain data, or
raises a client error listing every problem. It knows nothing of HTTP.

Micro-batching: small requests waiting in the same event-loop turn share one
encoding and one ONNX Runtime call. Under load most of a small request's cost is
that fixed price, whatever the row count; no timer, so a lone request waits for
nothing, and rows are independent in the model, so batching never changes an
answer beyond float32 rounding (the parity tests hold it to 1e-6).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from service.app.checks import RequestChecks, example_record
from service.app.errors import NotFound
from service.bundle import Bundle, load_bundle
from service.errors import BundleIntegrityError
from service.features import Columns, Encoder, feature_names
from service.predictor import Predictions, Predictor

# Requests up to this many rows share model calls; larger ones run alone, at once.
BATCHED_ROWS = 32
CLASSIFIER_OUTPUTS = ("label", "probabilities")
REGRESSOR_OUTPUTS = ("value",)
Waiting = tuple[Columns, int, "asyncio.Future[Predictions]"]


class ServedModel:
    """A verified bundle ready to predict: validation, batching, the model, and the answers' shapes."""

    def __init__(self, bundle: Bundle, max_rows: int) -> None:
        self.bundle = bundle
        self.card = bundle.card
        self.predictor = Predictor.from_bundle(bundle)
        self.encoder = Encoder(self.card.input_schema)
        self.is_classifier = self.card.task == "classification"
        self.outputs = CLASSIFIER_OUTPUTS if self.is_classifier else REGRESSOR_OUTPUTS
        self.checks = RequestChecks(self.card.input_schema, max_rows, self.outputs)
        self.example_record = example_record(self.card.input_schema)  # the one /docs offers
        self.class_names = np.array(self.card.classes, dtype=object)  # indexable by an array of class indices
        self.card_json = orjson.dumps({**self.card.model_dump(mode="json"), "bundle_sha256": bundle.digest})
        self.batcher = MicroBatcher(self.predict_now, self.checks.names, BATCHED_ROWS)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def version(self) -> str:
        return self.card.version

    def check_name(self, name: str, version: str | None = None) -> None:
        """Pass when `name` (and `version`, when given) is what this service serves; else raise NotFound."""
        if name != self.name:
            raise NotFound.single(f"model {name!r} is not served here; this service serves {self.name!r}",
                                  "model_not_found", ("path", "name"))
        if version is not None and version != self.version:
            raise NotFound.single(f"model {name!r} has no version {version!r}; it serves {self.version!r}",
                                  "version_not_found", ("path", "version"))

    async def predict_records(self, body: bytes) -> tuple[Predictions, list[dict[str, Any]]]:
        """Give the predictions for a POST /predict body, and each as its answer: a label with the
        probability of every class, or a value."""
        columns, rows = self.checks.records(body)
        answer = await self.batcher.predict(columns, rows)
        if answer.indices is None:
            return answer, [{"value": value} for value in answer.outputs.tolist()]
        classes = self.card.classes
        return answer, [{"label": classes[index], "probabilities": dict(zip(classes, row))}
                        for index, row in zip(answer.indices.tolist(), answer.outputs.tolist())]

    async def infer(self, payload: bytes | dict[str, Any]) -> tuple[Predictions, dict[str, Any]]:
        """Give the predictions for a V2 infer body, and the V2 answer: the outputs asked for (default
        all), data flattened row-major."""
        request = self.checks.tensors(payload)
        answer = await self.batcher.predict(request.columns, request.rows)
        if answer.indices is None:  # left as float32 for orjson, as the probabilities below
            tensors = {"value": {"name": "value", "datatype": "FP32", "shape": [request.rows],
                                 "data": answer.outputs}}
        else:
            n, k = answer.outputs.shape
            tensors = {
                "label": {"name": "label", "datatype": "BYTES", "shape": [n], "parameters": {"content_type": "str"},
                          "data": self.class_names[answer.indices].tolist()},
                # float32 for orjson: the shortest text that reads back as the same FP32 value.
                "probabilities": {"name": "probabilities", "datatype": "FP32", "shape": [n, k],
                                  "data": answer.outputs.ravel()},
            }
        body: dict[str, Any] = {"model_name": self.name, "model_version": self.version,
                                "outputs": [tensors[name] for name in (request.outputs or self.outputs)]}
        if request.id is not None:
            body["id"] = request.id
        return answer, body

    def predict_now(self, columns: Columns) -> Predictions:
        """Give the predictions for validated columns keyed by feature name, at once, unbatched."""
        return self.predictor.predict(self.encoder(columns))


class MicroBatcher:
    """Runs `predict` once per loop turn over every small request waiting, then hands each its rows."""

    def __init__(self, predict: Callable[[Columns], Predictions], names: Sequence[str], max_rows: int) -> None:
        self.predict_now = predict
        self.names = tuple(names)
        self.max_rows = max_rows  # a request with more rows runs alone, at once
        self._waiting: list[Waiting] = []

    async def predict(self, columns: Columns, rows: int) -> Predictions:
        """Give the predictions for `rows` rows of `columns`, computed with whatever else is waiting."""
        if rows > self.max_rows:
            return self.predict_now(columns)
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
            merged = {name: [v for columns, _, _ in waiting for v in columns[name]] for name in self.names}
        try:
            answer = self.predict_now(merged)
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


def load(path: Path, max_rows: int) -> ServedModel:
    """Give the bundle at `path` ready to serve; raise BundleIntegrityError naming what is wrong."""
    bundle = load_bundle(path)
    model = ServedModel(bundle, max_rows)
    width = len(feature_names(bundle.card.input_schema))
    if model.predictor.n_features != width:
        raise BundleIntegrityError(
            f"{Path(path) / 'model.onnx'}: takes {model.predictor.n_features} features, the schema encodes {width}")
    _check_answers(model, Path(path))
    return model


def _check_answers(model: ServedModel, path: Path) -> None:
    """Predict the documented example once: proves the model answers in shape, and warms it."""
    answer = model.predict_now({name: [value] for name, value in model.example_record.items()})
    n_classes = len(model.card.classes)
    if answer.indices is None:
        if answer.outputs.shape != (1,) or not np.isfinite(answer.outputs).all():
            raise BundleIntegrityError(
                f"{path / 'model.onnx'}: answered a test row with {answer.outputs.tolist()}, expected one finite value")
    elif answer.outputs.shape != (1, n_classes) or not 0 <= int(answer.indices[0]) < n_classes:
        raise BundleIntegrityError(
            f"{path / 'model.onnx'}: answered a test row with labels {answer.indices.tolist()} and "
            f"probabilities of shape {answer.outputs.shape}, expected one of {n_classes} classes"
        )
