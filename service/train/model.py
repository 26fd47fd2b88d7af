"""Fit the scikit-learn pipeline, export it to ONNX, and prove the export reproduces it."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType

from service.errors import ParityError
from service.predictor import Predictor
from service.train.config import ModelParams

# Pinned so the same code writes the same bytes whatever skl2onnx would pick.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
PARITY_TOLERANCE = 1e-5


def fit(features: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], params: ModelParams) -> Pipeline:
    """Give the fitted pipeline: median imputation, scaling, logistic regression."""
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("classify", LogisticRegression(C=params.C, max_iter=params.max_iter)),
        ]
    )
    return pipeline.fit(features, labels)


def to_onnx(pipeline: Pipeline, n_features: int) -> bytes:
    """Give the serialised ONNX model: input `input` (float32), outputs label and probabilities."""
    onnx_model = convert_sklearn(
        pipeline,
        name="stopline",
        initial_types=[("input", FloatTensorType([None, n_features]))],
        options={LogisticRegression: {"zipmap": False}},
        target_opset=TARGET_OPSET,
        naming="stopline_",
    )
    # skl2onnx stamps its own version; the bytes must depend on the model only.
    onnx_model.producer_version = ""
    serialised: bytes = onnx_model.SerializeToString()
    return serialised


def check_parity(pipeline: Pipeline, predictor: Predictor, features: npt.NDArray[np.float32]) -> float:
    """Give the largest probability gap between scikit-learn and ONNX on `features`.

    Raises ParityError when a label differs or a probability differs by more
    than PARITY_TOLERANCE.
    """
    expected_labels = pipeline.predict(features)
    expected_probabilities = pipeline.predict_proba(features)
    labels, probabilities = predictor.predict(features)
    mismatched = np.flatnonzero(labels != expected_labels)
    if mismatched.size:
        raise ParityError(
            f"ONNX and scikit-learn disagree on {mismatched.size} label(s), first at holdout row {mismatched[0]}"
        )
    gap = float(np.max(np.abs(probabilities - expected_probabilities)))
    if gap > PARITY_TOLERANCE:
        raise ParityError(f"ONNX probabilities differ from scikit-learn by {gap:.3g} > {PARITY_TOLERANCE}")
    return gap
