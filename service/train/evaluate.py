"""Score a model's holdout predictions: the metrics the gate reads and the model card shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_fscore_support,
    r2_score,
)

from service.bundle import BundleCard, load_bundle
from service.features import encode
from service.predictor import Predictions, Predictor
from service.train.config import PRIMARY_METRIC, TrainConfig


def evaluate(target: npt.NDArray[np.generic], answer: Predictions, classes: tuple[str, ...]) -> dict[str, Any]:
    """Give the holdout metrics of `answer` against `target`: the classification set, or the regression one."""
    if answer.indices is None:
        return regression_metrics(target.astype(np.float64), answer.outputs)
    return classification_metrics(target.astype(np.int64), answer.indices, answer.outputs, classes)


def regression_metrics(values: npt.NDArray[np.float64], predicted: npt.NDArray[np.float32]) -> dict[str, Any]:
    """Give RMSE, MAE and R² of `predicted` against `values`."""
    wide = predicted.astype(np.float64)
    return {
        "holdout_rows": int(len(values)),
        "rmse": round(float(np.sqrt(mean_squared_error(values, wide))), 6),
        "mae": round(float(mean_absolute_error(values, wide)), 6),
        "r2": round(float(r2_score(values, wide)), 6),
    }


def classification_metrics(
    labels: npt.NDArray[np.int64],
    predicted: npt.NDArray[np.int64],
    probabilities: npt.NDArray[np.float32],
    classes: tuple[str, ...],
) -> dict[str, Any]:
    """Give accuracy, macro-F1, per-class precision and recall, confusion matrix and log-loss."""
    indices = list(range(len(classes)))
    precision, recall, _, support = precision_recall_fscore_support(
        labels, predicted, labels=indices, zero_division=0
    )
    return {
        "holdout_rows": int(len(labels)),
        "accuracy": round(float(accuracy_score(labels, predicted)), 6),
        "macro_f1": round(float(f1_score(labels, predicted, labels=indices, average="macro", zero_division=0)), 6),
        "log_loss": round(float(log_loss(labels, _normalised(probabilities), labels=indices)), 6),
        "per_class": {
            name: {"precision": round(float(p), 6), "recall": round(float(r), 6), "support": int(s)}
            for name, p, r, s in zip(classes, precision, recall, support)
        },
        "confusion_matrix": {
            "labels": list(classes),
            "rows_true_columns_predicted": confusion_matrix(labels, predicted, labels=indices).tolist(),
        },
    }


def _normalised(probabilities: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    # float32 rows sum to 1 only within float32 precision; log_loss checks more tightly.
    wide = probabilities.astype(np.float64)
    normalised: npt.NDArray[np.float64] = wide / wide.sum(axis=1, keepdims=True)
    return normalised


def incomparable(card: BundleCard, config: TrainConfig) -> str | None:
    """Give why a bundle with `card` cannot be scored on `config`'s holdout (another schema or classes), or None."""
    if card.input_schema != config.input_schema:
        return "was trained on a different input schema"
    if tuple(card.classes) != config.classes:
        return f"predicts classes {list(card.classes)}, this project {list(config.classes)}"
    return None


def champion_score(champion: Path, config: TrainConfig, rows: dict[str, Any], target: npt.NDArray[np.generic]) -> float:
    """Give the champion bundle's primary metric (macro-F1, or R²) on the challenger's holdout rows.

    Raises BundleIntegrityError when the champion is corrupt, and ValueError
    when it serves another schema or task, since then the two cannot be compared.
    """
    bundle = load_bundle(champion)
    reason = incomparable(bundle.card, config)
    if reason:
        raise ValueError(f"champion {champion} {reason}; it cannot be compared")
    answer = Predictor.from_bundle(bundle).predict(encode(config.input_schema, rows))
    return float(evaluate(target, answer, config.classes)[PRIMARY_METRIC[config.task]])
