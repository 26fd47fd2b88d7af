"""Run the ONNX model: the one inference path shared by evaluation, tests and the service."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from service.bundle import Bundle
from service.errors import BundleIntegrityError


class Predictor:
    """An ONNX Runtime session over a model's bytes: float32 features in, labels and probabilities out."""

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

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> Predictor:
        """Give a predictor for a verified bundle."""
        return cls(bundle.model_bytes, len(bundle.card.classes))

    def predict(self, features: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Give class indices and class probabilities, one row per input row."""
        labels, probabilities = self._session.run(self._outputs, {self._input: features})
        return labels, probabilities
