"""Fit the project's scikit-learn pipeline, export it to ONNX, and prove the export reproduces it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from skl2onnx import convert_sklearn
from skl2onnx.common import tree_ensemble
from skl2onnx.common.data_types import FloatTensorType

from service.errors import ParityError
from service.predictor import Predictor
from service.train.config import TrainConfig
from service.train.estimators import build

# Pinned so the same code writes the same bytes whatever skl2onnx would pick.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
# Classification: the largest probability gap; regression: the largest gap relative to
# the value's size (float32 carries ~7 digits).
PARITY_TOLERANCE = 1e-5


def fit(features: npt.NDArray[np.float32], target: npt.NDArray[np.generic], config: TrainConfig) -> Pipeline:
    """Give the project's pipeline fitted on `features` and `target`."""
    pipeline = build(config.model, config.task, config.seed).fit(features, target)
    estimator = pipeline.steps[-1][1]
    if isinstance(estimator, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        _float32_thresholds(estimator)
    return pipeline


def _float32_thresholds(model: HistGradientBoostingClassifier | HistGradientBoostingRegressor) -> None:
    """Round every split threshold down to the nearest float32, in place.

    Histogram boosting splits at float64 midpoints; ONNX compares in float32, and a
    midpoint that rounds up onto a data value sends that value the other way (42.4 in
    the penguins' bills: P off by 0.03). The model's input is float32, and for a
    float32 x, `x <= t` holds exactly when `x <= the largest float32 <= t`: so no
    prediction changes, and the ONNX model, given these thresholds, agrees exactly.
    """
    for per_iteration in model._predictors:
        for tree in per_iteration:
            thresholds = tree.nodes["num_threshold"]
            narrow = thresholds.astype(np.float32)
            above = narrow.astype(np.float64) > thresholds
            narrow[above] = np.nextafter(narrow[above], np.float32(-np.inf))
            tree.nodes["num_threshold"] = narrow.astype(np.float64)


@contextmanager
def _integer_missing_flags() -> Iterator[None]:
    """Give a context in which skl2onnx writes HistGradientBoosting's missing-value flags as ints.

    skl2onnx 1.20 passes a Python bool for each leaf's flag, which the protobuf runtime
    locked here rejects in an INTS attribute ("Expected an int, got a boolean"). The
    flag's meaning is unchanged: False is 0, as the ONNX operator defines it.
    """
    original = tree_ensemble.add_node

    def add_node(*args: Any, **kwargs: Any) -> Any:
        flag = kwargs.get("nodes_missing_value_tracks_true")
        if flag is not None:
            kwargs["nodes_missing_value_tracks_true"] = int(flag)
        return original(*args, **kwargs)

    tree_ensemble.add_node = add_node
    try:
        yield
    finally:
        tree_ensemble.add_node = original


def to_onnx(pipeline: Pipeline, n_features: int) -> bytes:
    """Give the serialised ONNX model: input `input` (float32); a label and probabilities, or a value."""
    estimator = pipeline.steps[-1][1]
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
    with _integer_missing_flags():
        onnx_model = convert_sklearn(
            pipeline,
            name="stopline",
            initial_types=[("input", FloatTensorType([None, n_features]))],
            options=options,
            target_opset=TARGET_OPSET,
            naming="stopline_",
        )
    # skl2onnx stamps its own version; the bytes must depend on the model only.
    onnx_model.producer_version = ""
    serialised: bytes = onnx_model.SerializeToString()
    return serialised


def check_parity(pipeline: Pipeline, predictor: Predictor, features: npt.NDArray[np.float32]) -> float:
    """Give the largest gap between scikit-learn and ONNX on `features` (see PARITY_TOLERANCE).

    Raises ParityError when a label differs or the gap exceeds PARITY_TOLERANCE.
    """
    answer = predictor.predict(features)
    if answer.indices is None:
        expected = pipeline.predict(features).astype(np.float64)
        gaps = np.abs(answer.outputs - expected) / np.maximum(np.abs(expected), 1.0)
        gap = float(np.max(gaps))
        if gap > PARITY_TOLERANCE:
            raise ParityError(f"ONNX values differ from scikit-learn by {gap:.3g} (relative) > {PARITY_TOLERANCE}, "
                              f"first at row {int(np.argmax(gaps > PARITY_TOLERANCE))}")
        return gap
    mismatched = np.flatnonzero(answer.indices != pipeline.predict(features))
    if mismatched.size:
        raise ParityError(
            f"ONNX and scikit-learn disagree on {mismatched.size} label(s), first at row {mismatched[0]}"
        )
    gap = float(np.max(np.abs(answer.outputs - pipeline.predict_proba(features))))
    if gap > PARITY_TOLERANCE:
        raise ParityError(f"ONNX probabilities differ from scikit-learn by {gap:.3g} > {PARITY_TOLERANCE}")
    return gap
