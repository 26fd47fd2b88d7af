"""Score a model's holdout predictions: the metrics the gate reads and the model card shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, log_loss, precision_recall_fscore_support

from service.bundle import load_bundle
from service.features import encode
from service.predictor import Predictor
from service.schema import InputSchema


def evaluate(
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


def macro_f1(labels: npt.NDArray[np.int64], predicted: npt.NDArray[np.int64], n_classes: int) -> float:
    """Give the macro-F1 of `predicted` against `labels`."""
    return float(f1_score(labels, predicted, labels=list(range(n_classes)), average="macro", zero_division=0))


def champion_macro_f1(
    champion: Path, schema: InputSchema, rows: dict[str, Any], labels: npt.NDArray[np.int64]
) -> float:
    """Give the champion bundle's macro-F1 on the challenger's holdout rows.

    Raises BundleIntegrityError when the champion is corrupt, and ValueError
    when it serves a different schema, since then the two cannot be compared.
    """
    bundle = load_bundle(champion)
    if bundle.card.input_schema != schema:
        raise ValueError(f"champion {champion} was trained on a different input schema; it cannot be compared")
    predicted, _ = Predictor.from_bundle(bundle).predict(encode(schema, rows))
    return macro_f1(labels, predicted, len(bundle.card.classes))
