"""The golden set: the project's holdout records and the gated bundle's offline predictions for them.

The smoke stage holds the container to it, the deploy stage the release behind
the front door: both must answer exactly as the model did offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from service.bundle import Bundle, load_bundle
from service.features import encode
from service.predictor import Predictions, Predictor
from service.schema import InputSchema
from service.train.config import config_path, load_config
from service.train.data import load_dataset
from service.train.run import split
from tests.paths import ROOT


@dataclass(frozen=True)
class Golden:
    records: list[dict[str, Any]]
    answer: Predictions
    bundle: Bundle
    schema: InputSchema


def golden_set(bundle_dir: Path = ROOT / "artifacts" / "model") -> Golden:
    """Give the configured project's holdout, as JSON records, and the answer of the bundle in `bundle_dir`
    (the gated one by default; the one inside the image for the smoke and deploy stages)."""
    config = load_config(ROOT / config_path())
    dataset = load_dataset(config.data, config)
    _, holdout = split(dataset, config)
    rows = dataset.take(holdout)
    bundle = load_bundle(bundle_dir)
    answer = Predictor.from_bundle(bundle).predict(encode(config.input_schema, rows))
    records = [
        {name: (None if isinstance(v, float) and math.isnan(v) else v) for name, v in zip(rows, values)}
        for values in zip(*rows.values())
    ]
    return Golden(records=records, answer=answer, bundle=bundle, schema=config.input_schema)


def prediction_mismatch(body: dict[str, Any], golden: Golden) -> str | None:
    """Give how a served /predict answer for the golden records differs from the offline one, or None."""
    if body.get("model_version") != golden.bundle.card.version:
        return f"model_version {body.get('model_version')}, the gated bundle's is {golden.bundle.card.version}"
    served, answer = body["predictions"], golden.answer
    if len(served) != len(golden.records):
        return f"{len(served)} predictions for {len(golden.records)} records"
    if answer.indices is None:  # a regressor: every value within 1e-5 of the offline one, relatively
        values = np.array([p["value"] for p in served])
        worst = float(np.max(np.abs(values - answer.outputs) / np.maximum(np.abs(answer.outputs), 1.0)))
        return None if worst <= 1e-5 else f"a value differs from the offline one by {worst:.2e} (relative)"
    classes = golden.bundle.card.classes
    labels = [p["label"] for p in served]
    expected = [classes[i] for i in answer.indices]
    if labels != expected:
        wrong = next(i for i, (a, b) in enumerate(zip(labels, expected)) if a != b)
        return f"record {wrong}: label {labels[wrong]!r}, offline {expected[wrong]!r}"
    probabilities = np.array([[p["probabilities"][c] for c in classes] for p in served])
    worst = float(np.max(np.abs(probabilities - answer.outputs)))
    return None if worst <= 1e-6 else f"a probability differs from the offline one by {worst:.2e}"
