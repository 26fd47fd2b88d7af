"""What the model answers for a batch of rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Predictions:
    """One batch's answers: class indices and one probability row per input row."""

    indices: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float32]
