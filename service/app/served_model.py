"""The model being served: a verified bundle, its ONNX session, and its request contract.

`load()` refuses anything it cannot vouch for: a bundle whose checksums fail,
a model whose input width differs from the schema's encoding, or one that
does not answer a test row with one probability per class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel, TypeAdapter

from service.app.batcher import MicroBatcher
from service.app.columns import SchemaChecks
from service.app.request_model import example_instance, request_model, value_adapter
from service.bundle import Bundle, load_bundle
from service.errors import BundleIntegrityError
from service.features import Columns, Encoder, feature_names
from service.predictor import Predictions, Predictor
from service.schema import InputSchema

# Requests up to this many rows share model calls (see batcher); larger ones run alone.
BATCHED_ROWS = 32


def run_model(encoder: Encoder, predictor: Predictor, columns: Columns) -> Predictions:
    """Give the predictions for validated columns keyed by feature name (None or NaN for missing)."""
    return predictor.predict(encoder(columns))


@dataclass(frozen=True)
class ServedModel:
    """A verified bundle ready to predict, with the models that validate its requests."""

    bundle: Bundle
    predictor: Predictor
    request_model: type[BaseModel]
    adapters: Mapping[str, TypeAdapter[Any]]
    checks: SchemaChecks  # the quick whole-column checks; the adapters decide what they decline
    max_rows: int
    metadata_json: bytes
    batcher: MicroBatcher
    encoder: Encoder
    class_names: npt.NDArray[np.object_]  # the classes, indexable by an array of class indices

    @property
    def name(self) -> str:
        return self.bundle.card.name

    @property
    def version(self) -> str:
        return self.bundle.card.version

    @property
    def schema(self) -> InputSchema:
        return self.bundle.card.input_schema

    @property
    def classes(self) -> tuple[str, ...]:
        return self.bundle.card.classes  # empty for a regressor

    @property
    def is_classifier(self) -> bool:
        return self.bundle.card.task == "classification"

    def example_request(self) -> dict[str, Any]:
        """Give a POST /predict body the schema allows: the one /docs offers."""
        return {"instances": [example_instance(self.schema)]}

    def predict(self, columns: Columns) -> Predictions:
        """Give the predictions for validated columns keyed by feature name, at once, unbatched."""
        return run_model(self.encoder, self.predictor, columns)


def load(path: Path, max_rows: int) -> ServedModel:
    """Give the bundle at `path` ready to serve; raise BundleIntegrityError naming what is wrong."""
    bundle = load_bundle(path)
    predictor = Predictor.from_bundle(bundle)
    schema = bundle.card.input_schema
    width = len(feature_names(schema))
    if predictor.n_features != width:
        raise BundleIntegrityError(
            f"{Path(path) / 'model.onnx'}: takes {predictor.n_features} features, the schema encodes {width}"
        )
    metadata = {**bundle.card.model_dump(mode="json"), "bundle_sha256": bundle.digest}
    encoder = Encoder(schema)
    model = ServedModel(
        bundle=bundle,
        predictor=predictor,
        request_model=request_model(schema, max_rows),
        adapters={f.name: value_adapter(f) for f in schema.features},
        checks=SchemaChecks(schema, max_rows),
        max_rows=max_rows,
        metadata_json=orjson.dumps(metadata),
        batcher=MicroBatcher(partial(run_model, encoder, predictor), schema.names, BATCHED_ROWS),
        encoder=encoder,
        class_names=np.array(bundle.card.classes, dtype=object),
    )
    _check_answers(model, Path(path))
    return model


def _check_answers(model: ServedModel, path: Path) -> None:
    """Predict the documented example once: proves the model answers in shape, and warms it."""
    row = example_instance(model.schema)
    answer = model.predict({name: [value] for name, value in row.items()})
    n_classes = len(model.classes)
    if answer.indices is None:
        if answer.outputs.shape != (1,) or not np.isfinite(answer.outputs).all():
            raise BundleIntegrityError(
                f"{path / 'model.onnx'}: answered a test row with {answer.outputs.tolist()}, expected one finite value")
    elif answer.outputs.shape != (1, n_classes) or not 0 <= int(answer.indices[0]) < n_classes:
        raise BundleIntegrityError(
            f"{path / 'model.onnx'}: answered a test row with labels {answer.indices.tolist()} and "
            f"probabilities of shape {answer.outputs.shape}, expected one of {n_classes} classes"
        )
