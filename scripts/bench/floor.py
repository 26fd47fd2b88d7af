"""The model's floor: single-row latency in process, with no HTTP, as the service's ONNX session runs it.

`python -m scripts.bench.floor BUNDLE ROWS_JSON` prints one JSON object: percentiles in
microseconds of (a) ONNX Runtime alone on one encoded row and (b) the service's
encoder (the shared `features.Encoder`) plus ONNX Runtime on one raw row, over a
few thousand calls after a warm-up.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from service.bundle import load_bundle
from service.features import Encoder
from service.predictor import Predictor

CALLS = 5000


def percentiles_us(call: object, calls: int = CALLS) -> dict[str, float]:
    """Give p50, p99 and the mean of `call()` in microseconds, after as many warm-up calls."""
    assert callable(call)
    for _ in range(calls // 5):
        call()
    times = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter_ns()
        call()
        times[i] = time.perf_counter_ns() - started
    times /= 1000
    return {"p50_us": round(float(np.percentile(times, 50)), 1), "p99_us": round(float(np.percentile(times, 99)), 1),
            "mean_us": round(float(times.mean()), 1)}


def main(bundle_dir: str, rows_json: str) -> int:
    bundle = load_bundle(Path(bundle_dir))
    predictor = Predictor.from_bundle(bundle)
    schema = bundle.card.input_schema
    instance = json.loads(Path(rows_json).read_text())["instances"][0]
    columns = {name: [instance[name]] for name in schema.names}
    encoder = Encoder(schema)  # built once, as the service builds it at load
    features = encoder(columns)
    print(json.dumps({
        "onnxruntime_1_row": percentiles_us(lambda: predictor.predict(features)),
        "encode_and_onnxruntime_1_row": percentiles_us(lambda: predictor.predict(encoder(columns))),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
