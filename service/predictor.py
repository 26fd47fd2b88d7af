"""Run the ONNX model: the one inference path shared by evaluation, tests and the service."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from service.bundle import Bundle
from service.errors import BundleIntegrityError


class Predictions(NamedTuple):
    """One batch's answers, a row per input row.

    `outputs` holds the class probabilities (n, classes) of a classifier, or the
    values (n,) of a regressor; `indices` the predicted class of each row, or
    None for a regressor. A named tuple, not a frozen dataclass: the batcher makes
    one per request, and a frozen dataclass's __init__ costs ~1 us more.
    """

    indices: npt.NDArray[np.int64] | None
    outputs: npt.NDArray[np.float32]


class Predictor:
    """An ONNX Runtime session over a model's bytes: float32 features in, Predictions out.

    `n_classes` is 0 for a regressor: one output, the value.
    """

    def __init__(self, model_bytes: bytes, n_classes: int) -> None:
        options = ort.SessionOptions()
        # One thread: requests are tiny and concurrent; more threads only add hand-offs.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(
                model_bytes, sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # ORT raises its own untyped errors for bad models
            raise BundleIntegrityError(f"model.onnx: ONNX Runtime cannot load it: {exc}") from None
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise BundleIntegrityError(f"model.onnx: expected one input, found {len(inputs)}")
        self._input = inputs[0].name
        self.n_features = inputs[0].shape[1]
        self.n_classes = n_classes
        self._outputs = [o.name for o in self._session.get_outputs()]
        expected = 2 if n_classes else 1
        if len(self._outputs) != expected:
            kind = f"a classifier of {n_classes} classes" if n_classes else "a regressor"
            raise BundleIntegrityError(
                f"model.onnx: has {len(self._outputs)} output(s), {kind} has {expected}")

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> Predictor:
        """Give a predictor for a verified bundle."""
        return cls(bundle.model_bytes, len(bundle.card.classes))

    def predict(self, features: npt.NDArray[np.float32]) -> Predictions:
        """Give the class indices and probabilities, or the values, of each input row."""
        answers = self._session.run(self._outputs, {self._input: features})
        if self.n_classes:
            return Predictions(answers[0], answers[1])
        return Predictions(None, answers[0].reshape(-1))
