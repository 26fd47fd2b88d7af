"""The exported model: byte-identical on retraining, faithful to scikit-learn, fast in process."""

import time

import numpy as np
import pytest

from service.features import encode
from service.train.data import load_dataset
from service.train.model import check_parity

from .conftest import GATED_BUNDLE, retrain

pytestmark = pytest.mark.model


def test_retraining_the_same_data_config_and_code_gives_identical_bytes(run, config, tmp_path):
    again = retrain(config, tmp_path / "again")
    assert (tmp_path / "again" / "model.onnx").read_bytes() == (GATED_BUNDLE / "model.onnx").read_bytes()
    assert again.card.version == run.card.version
    assert again.card.files == run.card.files


def test_a_different_hyper_parameter_gives_a_different_version(run, config, tmp_path):
    other = retrain(config, tmp_path / "other", C=0.5)
    assert other.card.version != run.card.version


def test_onnx_matches_scikit_learn_on_every_row_of_the_data(run, config, predictor):
    dataset = load_dataset(config.data, config)
    features = encode(config.input_schema, dataset.columns)
    assert features.shape == (344, 10)  # 3 islands + 4 numbers + 2 sexes + 1 ratio
    gap = check_parity(run.pipeline, predictor, features)
    assert gap <= 1e-5
    assert run.card.metrics["onnx_parity_max_abs_diff"] <= 1e-5


def test_single_row_inference_p99_is_under_a_millisecond(run, config, predictor):
    row = {name: [values[0]] for name, values in run.holdout.rows.items()}
    for _ in range(200):  # warm-up: first calls allocate
        predictor.predict(encode(config.input_schema, row))
    timings = np.empty(2000)
    for i in range(timings.size):
        started = time.perf_counter()
        predictor.predict(encode(config.input_schema, row))
        timings[i] = time.perf_counter() - started
    p99_ms = float(np.percentile(timings, 99) * 1000)
    print(f"single-row encode+predict over {timings.size} calls: p50 {np.median(timings) * 1000:.3f} ms, "
          f"p99 {p99_ms:.3f} ms")
    assert p99_ms < 1.0
