"""What the model answers for a batch of rows."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt


class Predictions(NamedTuple):
    """One batch's answers: class indices and one probability row per input row.

    A named tuple, not a frozen dataclass: the batcher makes one per request, and a
    frozen dataclass's __init__ costs ~1 us more (one object.__setattr__ per field).
    """

    indices: npt.NDArray[np.int64]
    probabilities: npt.NDArray[np.float32]
