"""The exported model: byte-identical on retraining, faithful to scikit-learn, fast in process."""

import time

import numpy as np
import pytest

from service.features import encode, feature_names
from service.train.data import load_dataset
from service.train.model import PARITY_TOLERANCE, check_parity
from service.train.run import train

from .conftest import GATED_BUNDLE

pytestmark = pytest.mark.model


def test_retraining_the_same_data_config_and_code_gives_identical_bytes(run, config, tmp_path, record_property):
    started = time.perf_counter()
    again = train(config, out=tmp_path / "again")
    record_property("estimator", config.model.estimator)
    record_property("training_seconds", round(time.perf_counter() - started, 3))
    assert (tmp_path / "again" / "model.onnx").read_bytes() == (GATED_BUNDLE / "model.onnx").read_bytes()
    assert again.card.version == run.card.version
    assert again.card.files == run.card.files


def test_another_seed_gives_another_version(run, config, tmp_path):
    other = train(config.model_copy(update={"seed": config.seed + 1}), out=tmp_path / "other")
    assert other.card.version != run.card.version


def test_onnx_matches_scikit_learn_on_every_row_of_the_data(run, config, predictor):
    dataset = load_dataset(config.data, config)
    features = encode(config.input_schema, dataset.columns)
    assert features.shape == (len(dataset), len(feature_names(config.input_schema)))
    gap = check_parity(run.pipeline, predictor, features)
    assert gap <= PARITY_TOLERANCE
    assert run.card.metrics["onnx_parity_max_abs_diff"] <= PARITY_TOLERANCE


def test_single_row_inference_p99_is_under_a_millisecond(run, config, predictor, record_property):
    row = {name: [values[0]] for name, values in run.holdout.rows.items()}
    for _ in range(200):  # warm-up: first calls allocate
        predictor.predict(encode(config.input_schema, row))
    timings = np.empty(2000)
    for i in range(timings.size):
        started = time.perf_counter()
        predictor.predict(encode(config.input_schema, row))
        timings[i] = time.perf_counter() - started
    p99_ms = float(np.percentile(timings, 99) * 1000)
    record_property("single_row_p50_ms", round(float(np.median(timings) * 1000), 4))
    record_property("single_row_p99_ms", round(p99_ms, 4))
    assert p99_ms < 1.0
