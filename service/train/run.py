"""One training run: validate the data, split, fit, export, prove parity, evaluate, write the bundle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from service.bundle import BundleCard, write_bundle
from service.features import encode, feature_names
from service.predictor import Predictor
from service.provenance import created_at, git_sha
from service.train.config import TrainConfig
from service.train.data import Column, Dataset, load_dataset
from service.train.evaluate import evaluate
from service.train.model import check_parity, fit, to_onnx

DEFAULT_OUT = Path("artifacts/model")


@dataclass(frozen=True)
class Holdout:
    """The rows held out of training: raw, encoded, and their target (class indices or values)."""

    rows: dict[str, Column]
    features: npt.NDArray[np.float32]
    target: npt.NDArray[np.generic]


@dataclass(frozen=True)
class TrainingRun:
    """What a run produced: the written bundle, the fitted pipeline and its holdout."""

    card: BundleCard
    bundle_dir: Path
    pipeline: Pipeline
    holdout: Holdout
    parity_gap: float


def split(dataset: Dataset, config: TrainConfig) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Give train and holdout row indices: seeded by the config, stratified by label when classifying."""
    rows = np.arange(len(dataset))
    stratify = dataset.target if config.task == "classification" else None
    train_rows, holdout_rows = train_test_split(
        rows, test_size=config.holdout_fraction, stratify=stratify, random_state=config.seed
    )
    return np.sort(train_rows), np.sort(holdout_rows)


def train(config: TrainConfig, data: Path | None = None, out: Path = DEFAULT_OUT) -> TrainingRun:
    """Give the run that trained on `data` (default: the config's) and wrote its bundle to `out`.

    Nothing is written unless every step passed: data validation, parity.
    """
    dataset = load_dataset(data or config.data, config)
    schema = config.input_schema
    train_rows, holdout_rows = split(dataset, config)
    holdout = Holdout(
        rows=dataset.take(holdout_rows),
        features=encode(schema, dataset.take(holdout_rows)),
        target=dataset.target[holdout_rows],
    )
    pipeline = fit(encode(schema, dataset.take(train_rows)), dataset.target[train_rows], config)
    model_bytes = to_onnx(pipeline, len(feature_names(schema)))
    predictor = Predictor(model_bytes, len(config.classes))
    gap = check_parity(pipeline, predictor, holdout.features)
    metrics = evaluate(holdout.target, predictor.predict(holdout.features), config.classes)
    metrics["onnx_parity_max_abs_diff"] = gap
    card = write_bundle(
        out,
        model_bytes,
        {
            "name": config.name,
            "created_at": created_at(),
            "git_sha": git_sha() or "unknown",
            "data_sha256": dataset.sha256,
            "params": {
                **config.model.params(),
                "seed": config.seed,
                "holdout_fraction": config.holdout_fraction,
                "train_rows": int(len(train_rows)),
                "feature_names": feature_names(schema),
            },
            "metrics": metrics,
            "task": config.task,
            "input_schema": schema.model_dump(mode="json"),
            "target": config.target,
            "classes": list(config.classes),
        },
    )
    return TrainingRun(card=card, bundle_dir=Path(out), pipeline=pipeline, holdout=holdout, parity_gap=gap)
