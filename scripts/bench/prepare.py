"""Everything both servers need before a run: the bundle, the same pipeline as joblib, and the request bodies.

The bundle is trained when missing. The scikit-learn pipeline MLServer loads is the one
that bundle holds: training is byte-reproducible, so the pipeline is refitted from the same
data and config, and refused unless its ONNX export has the bundle's very sha256.

The rows are the data's complete rows (no missing values: JSON has no NaN for MLServer's
FP32 tensor), cycled to the batch size. stopline gets them raw, as a client sends them;
MLServer gets them already encoded as the FP32 [n, 10] matrix its scikit-learn runtime takes,
which spares it the feature engineering our service does per request.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from service.bundle import load_bundle
from service.features import encode
from service.train.config import load_config
from service.train.data import load_dataset
from service.train.run import TrainingRun, train

MLSERVER_MODEL = "penguins"
BATCHES = (1, 100, 1000)


def ensure_bundle(bundle_dir: Path, config_path: Path) -> TrainingRun:
    """Give the training run behind the bundle at `bundle_dir`, training it there when it is missing."""
    config = load_config(config_path)
    if not (bundle_dir / "bundle.json").exists():
        return train(config, out=bundle_dir)
    with tempfile.TemporaryDirectory() as scratch:
        run = train(config, out=Path(scratch) / "bundle")
    served = load_bundle(bundle_dir).card.files["model.onnx"]
    if run.card.files["model.onnx"] != served:
        raise SystemExit(f"{bundle_dir} was not trained from {config_path} and its data as they are now "
                         f"(model.onnx {served[:12]} != {run.card.files['model.onnx'][:12]}); "
                         f"retrain it with `python -m service.train --out {bundle_dir}`")
    return run


def write_mlserver_model(run: TrainingRun, model_dir: Path, parallel_workers: int,
                         batching: tuple[int, float] | None = None) -> None:
    """Save the fitted pipeline as MLServer's scikit-learn runtime loads it, with its settings files.

    `batching` is (max_batch_size, max_batch_time in seconds) for MLServer's adaptive
    batching, off (its default) when None.
    """
    import joblib  # training-side only, like scikit-learn

    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(run.pipeline, model_dir / "model.joblib")
    settings: dict[str, Any] = {"name": MLSERVER_MODEL, "implementation": "mlserver_sklearn.SKLearnModel",
                                "parameters": {"uri": "./model.joblib", "version": run.card.version}}
    if batching is not None:
        settings["max_batch_size"], settings["max_batch_time"] = batching
    (model_dir / "model-settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    # Server-wide: no access log (debug off), and the inference pool as chosen (see docs/bench.md).
    server = {"debug": False, "parallel_workers": parallel_workers, "host": "127.0.0.1"}
    (model_dir / "settings.json").write_text(json.dumps(server, indent=2) + "\n")


def complete_rows(config_path: Path) -> dict[str, list[Any]]:
    """Give the data's rows that have every feature, as columns keyed by feature name."""
    config = load_config(config_path)
    columns = load_dataset(config.data, config).columns
    names = config.input_schema.names
    keep = [i for i in range(len(columns[names[0]]))
            if all(not _missing(columns[name][i]) for name in names)]
    return {name: [columns[name][i] for i in keep] for name in names}


def bodies(rows: dict[str, list[Any]], config_path: Path, n: int) -> dict[str, bytes]:
    """Give the request bodies for `n` rows: our /predict and V2, and MLServer's V2."""
    names = list(rows)
    total = len(rows[names[0]])
    picked = {name: [rows[name][i % total] for i in range(n)] for name in names}
    schema = load_config(config_path).input_schema
    numbers = {f.name for f in schema.features if f.kind == "number"}
    matrix = encode(schema, picked)
    # Shortest text that reads back as the same float32: the bytes MLServer parses are as short as ours.
    flat = [float(str(v)) for v in matrix.ravel()]
    return {
        "predict": orjson.dumps({"instances": [{name: picked[name][i] for name in names} for i in range(n)]}),
        "v2": orjson.dumps({"inputs": [
            {"name": name, "shape": [n], "datatype": "FP64" if name in numbers else "BYTES", "data": picked[name]}
            for name in names]}),
        "mlserver": orjson.dumps({
            "inputs": [{"name": "input-0", "shape": list(matrix.shape), "datatype": "FP32", "data": flat}],
            # One model pass giving as much as our answer holds (the label is the argmax).
            "outputs": [{"name": "predict_proba"}],
        }),
    }


def write_bodies(rows: dict[str, list[Any]], config_path: Path, out: Path) -> dict[str, Path]:
    """Write every body for every batch size; give their paths keyed `<kind>-<rows>`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for n in BATCHES:
        for kind, body in bodies(rows, config_path, n).items():
            path = out / f"{kind}-{n}.json"
            path.write_bytes(body)
            paths[f"{kind}-{n}"] = path
    return paths


def expected_probabilities(run: TrainingRun, body: bytes) -> np.ndarray:
    """Give scikit-learn's own probabilities for an MLServer body: what both servers must answer."""
    tensor = orjson.loads(body)["inputs"][0]
    return run.pipeline.predict_proba(np.array(tensor["data"], dtype=np.float32).reshape(tensor["shape"]))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
