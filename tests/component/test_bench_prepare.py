"""The benchmark feeds both servers the same rows: raw to stopline, pre-encoded to MLServer."""

import json

import numpy as np
import orjson
import pytest

from scripts.bench import prepare
from service.features import encode
from service.train.config import load_config
from tests.paths import ROOT

pytestmark = pytest.mark.component

# The harness serves whatever project it is given; its tests give it the fixture's.
CONFIG = ROOT / "tests" / "fixture_project" / "stopline.toml"
WIDTH = 9  # 1 + 3 (Pump Model) + 1 + 1 + 2 (Site) + 1 ratio


@pytest.fixture(scope="module")
def rows():
    return prepare.complete_rows(CONFIG)


def test_only_rows_with_every_feature_are_used(rows):
    # 160 pumps less the 25 with a blank Flow Rate (every 17th from the 6th), Vibration RMS
    # (every 23rd from the 12th) or Site (every 19th from the 4th): tests/fixture_project/make_data.py.
    assert len(rows["Pump Model"]) == 135
    assert all(v is not None and v == v for column in rows.values() for v in column)


@pytest.mark.parametrize("n", [1, 100, 1000])
def test_the_three_bodies_carry_the_same_rows(rows, n):
    bodies = prepare.bodies(rows, CONFIG, n)
    instances = orjson.loads(bodies["predict"])["instances"]
    tensors = {t["name"]: t for t in orjson.loads(bodies["v2"])["inputs"]}
    assert len(instances) == n and all(t["shape"] == [n] for t in tensors.values())
    assert [row["Pump Model"] for row in instances] == tensors["Pump Model"]["data"]
    assert [row["Flow Rate (l/min)"] for row in instances] == tensors["Flow Rate (l/min)"]["data"]
    [matrix] = orjson.loads(bodies["mlserver"])["inputs"]
    assert (matrix["datatype"], matrix["shape"]) == ("FP32", [n, WIDTH])
    columns = {name: [row[name] for row in instances] for name in instances[0]}
    expected = encode(load_config(CONFIG).input_schema, columns)
    # Parsed as float32, MLServer's numbers are exactly the matrix the service's encoding makes.
    np.testing.assert_array_equal(np.array(matrix["data"], dtype=np.float32).reshape(n, WIDTH), expected)
    assert orjson.loads(bodies["mlserver"])["outputs"] == [{"name": "predict_proba"}]


def test_mlserver_gets_the_fitted_pipeline_and_a_fair_configuration(tmp_path, training_run):
    import joblib

    prepare.write_mlserver_model(training_run, tmp_path, parallel_workers=0)
    model = json.loads((tmp_path / "model-settings.json").read_text())
    assert model == {"name": "penguins", "implementation": "mlserver_sklearn.SKLearnModel",
                     "parameters": {"uri": "./model.joblib", "version": training_run.card.version}}
    assert json.loads((tmp_path / "settings.json").read_text()) == {
        "debug": False, "parallel_workers": 0, "host": "127.0.0.1"}
    pipeline = joblib.load(tmp_path / "model.joblib")
    features = training_run.holdout.features
    np.testing.assert_array_equal(pipeline.predict_proba(features), training_run.pipeline.predict_proba(features))


def test_the_batching_peer_gets_mlservers_adaptive_batching(tmp_path, training_run):
    prepare.write_mlserver_model(training_run, tmp_path, parallel_workers=0, batching=(16, 0.002))
    model = json.loads((tmp_path / "model-settings.json").read_text())
    assert (model["max_batch_size"], model["max_batch_time"]) == (16, 0.002)
