"""The service over a regressor (the fixture's pump-hours): values on /predict, one `value` output on V2."""

import asyncio
import math

import numpy as np
import pytest

from service.bundle import load_bundle
from service.features import encode
from service.predictor import Predictor
from service.settings import ServiceSettings
from service.train.config import load_config
from service.train.run import train
from tests.component.conftest import AppClient
from tests.paths import ROOT

pytestmark = pytest.mark.component

FLOW, MODEL, PRESSURE, VIBRATION, SITE = NAMES = ("Flow Rate (l/min)", "Pump Model", "Inlet-Pressure",
                                                  "Vibration RMS", "Site")
NUMBERS = (FLOW, PRESSURE, VIBRATION)
QUIET = {FLOW: 90.0, MODEL: "A-100", PRESSURE: 6.0, VIBRATION: 4.0, SITE: "North Yard"}


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory):
    """Give a training run of the fixture's regression project; its bundle is in a session temp dir."""
    config = load_config(ROOT / "tests" / "fixture_project" / "regression.toml")
    return train(config, out=tmp_path_factory.mktemp("regressor") / "model")


@pytest.fixture(scope="session")
def regressor(regression_run):
    """Give one app serving the regressor with default settings, shared by tests that only read."""
    app_client = AppClient(ServiceSettings(bundle=regression_run.bundle_dir))
    yield app_client
    app_client.close()


def offline(run, rows):
    """Give the bundle's own values for `rows` (records, None for missing), as the offline predictor gives them."""
    bundle = load_bundle(run.bundle_dir)
    columns = {name: [row[name] for row in rows] for name in bundle.card.input_schema.names}
    return Predictor.from_bundle(bundle).predict(encode(bundle.card.input_schema, columns)).outputs


def holdout_instances(run):
    """Give the holdout rows as records, with null where the data has no value."""
    rows = run.holdout.rows
    return [{name: None if isinstance(values[i], float) and math.isnan(values[i]) else values[i]
             for name, values in rows.items()} for i in range(len(run.holdout.target))]


def tensors(rows):
    """Give the V2 inputs for `rows`: one tensor per feature, FP64 or BYTES."""
    return {"inputs": [{"name": name, "shape": [len(rows)], "datatype": "FP64" if name in NUMBERS else "BYTES",
                        "data": [row[name] for row in rows]} for name in NAMES]}


def close_to(served, expected):
    """Check served values against the offline ones, each within a relative 1e-6."""
    assert len(served) == len(expected)
    np.testing.assert_allclose(np.array(served, dtype=np.float64), expected.astype(np.float64), rtol=1e-6, atol=0)


def test_ready_names_the_regressor(regressor, regression_run):
    response = regressor.get("/health/ready")
    assert (response.status_code, response.json()) == (
        200, {"status": "ready", "model": "pump-hours", "version": regression_run.card.version})


def test_predict_one_row_answers_a_value_and_the_version(regressor, regression_run):
    response = regressor.post("/predict", json={"instances": [QUIET]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"predictions", "model_version"}
    assert body["model_version"] == regression_run.card.version
    [prediction] = body["predictions"]
    assert set(prediction) == {"value"} and isinstance(prediction["value"], float)
    close_to([prediction["value"]], offline(regression_run, [QUIET]))
    assert 1800.0 <= prediction["value"]  # the project's own check: a quiet pump runs long


def test_served_values_equal_the_offline_ones_over_the_whole_holdout(regressor, regression_run):
    instances = holdout_instances(regression_run)
    # The fixture's blanks reach this (unstratified) holdout too: null travels for a number and a category.
    assert (len(instances), sum(r[FLOW] is None for r in instances), sum(r[SITE] is None for r in instances)) == (
        40, 5, 3)
    response = regressor.post("/predict", json={"instances": instances})
    assert response.status_code == 200
    served = response.json()["predictions"]
    assert all(set(p) == {"value"} for p in served)
    close_to([p["value"] for p in served], offline(regression_run, instances))


def test_concurrent_single_rows_each_get_their_own_value(regression_run):
    instances = holdout_instances(regression_run)
    app = AppClient(ServiceSettings(bundle=regression_run.bundle_dir, max_in_flight=len(instances)))
    try:
        async def one_request_per_row():
            return await asyncio.gather(*(app.http.post("/predict", json={"instances": [row]}) for row in instances))

        responses = app.run(one_request_per_row())
    finally:
        app.close()
    assert [r.status_code for r in responses] == [200] * len(instances)
    close_to([r.json()["predictions"][0]["value"] for r in responses], offline(regression_run, instances))


def test_v2_metadata_lists_the_inputs_and_one_value_output(regressor, regression_run):
    response = regressor.get("/v2/models/pump-hours")
    assert response.status_code == 200
    body = response.json()
    number = {"datatype": "FP64", "shape": [-1], "parameters": {"content_type": "np"}}
    category = {"datatype": "BYTES", "shape": [-1], "parameters": {"content_type": "str"}}
    assert {k: body[k] for k in ("name", "versions", "platform", "inputs", "outputs")} == {
        "name": "pump-hours",
        "versions": [regression_run.card.version],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": FLOW, **number}, {"name": MODEL, **category}, {"name": PRESSURE, **number},
                   {"name": VIBRATION, **number}, {"name": SITE, **category}],
        "outputs": [{"name": "value", "datatype": "FP32", "shape": [-1]}],
    }
    assert "classes" not in body.get("parameters", {})


def test_v2_infer_answers_one_value_output_equal_to_the_offline_values(regressor, regression_run):
    rows = holdout_instances(regression_run)
    response = regressor.post("/v2/models/pump-hours/infer", json={"id": "r-1", **tensors(rows)})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"model_name", "model_version", "id", "outputs"}
    assert (body["model_name"], body["model_version"], body["id"]) == (
        "pump-hours", regression_run.card.version, "r-1")
    [value] = body["outputs"]
    assert {k: value[k] for k in ("name", "datatype", "shape")} == {"name": "value", "datatype": "FP32",
                                                                    "shape": [len(rows)]}
    assert set(value) == {"name", "datatype", "shape", "data"}
    close_to(value["data"], offline(regression_run, rows))


def test_v2_gives_the_value_when_asked_for_it(regressor, regression_run):
    request = {**tensors([QUIET]), "outputs": [{"name": "value"}]}
    response = regressor.post(f"/v2/models/pump-hours/versions/{regression_run.card.version}/infer", json=request)
    assert response.status_code == 200
    [value] = response.json()["outputs"]
    assert (value["name"], value["shape"]) == ("value", [1])
    close_to(value["data"], offline(regression_run, [QUIET]))


@pytest.mark.parametrize("output", ["label", "probabilities"])
def test_a_classifiers_output_is_422_naming_it(regressor, output):
    response = regressor.post("/v2/models/pump-hours/infer", json={**tensors([QUIET]), "outputs": [{"name": output}]})
    assert response.status_code == 422
    msg = "Input should be 'value'"
    assert response.json() == {
        "detail": [{"loc": ["body", "outputs", 0, "name"], "field": "outputs[0].name", "msg": msg,
                    "type": "literal_error"}],
        "error": f"outputs[0].name: {msg}"}


def test_metadata_is_the_regressors_card(regressor, regression_run):
    bundle = load_bundle(regression_run.bundle_dir)
    response = regressor.get("/metadata")
    assert response.status_code == 200
    card = response.json()
    assert card == {**bundle.card.model_dump(mode="json"), "bundle_sha256": bundle.digest}
    assert (card["name"], card["task"], card["target"], card["classes"]) == (
        "pump-hours", "regression", "Hours To Failure", [])
    assert {"rmse", "mae", "r2"} <= set(card["metrics"])
    assert "macro_f1" not in card["metrics"] and "accuracy" not in card["metrics"]
    assert card["metrics"]["r2"] >= 0.8  # the project's gate let it through


def test_a_value_the_schema_forbids_is_422_naming_the_field(regressor):
    response = regressor.post("/predict", json={"instances": [dict(QUIET, **{FLOW: 250.5}), dict(QUIET, Site="x")]})
    assert response.status_code == 422
    assert response.json() == {"detail": [
        {"loc": ["body", "instances", 0, "Flow Rate (l/min)"], "field": "instances[0].Flow Rate (l/min)",
         "msg": "Input should be less than or equal to 250", "type": "less_than_equal"},
        {"loc": ["body", "instances", 1, "Site"], "field": "instances[1].Site",
         "msg": "Input should be 'North Yard' or 'south-yard'", "type": "literal_error"},
    ]}


def test_a_bad_v2_input_is_422_naming_input_and_row(regressor):
    request = tensors([QUIET, dict(QUIET, **{PRESSURE: 20.5})])
    response = regressor.post("/v2/models/pump-hours/infer", json=request)
    assert response.status_code == 422
    assert response.json()["error"] == "inputs[2].data[1]: Inlet-Pressure: Input should be less than or equal to 20"


def test_the_documented_example_predicts_a_value(regressor):
    document = regressor.get("/openapi.json").json()
    example = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["example"]
    assert example == {"instances": [{FLOW: 125.0, MODEL: "A-100", PRESSURE: 10.0, VIBRATION: 30.0,
                                      SITE: "North Yard"}]}
    response = regressor.post("/predict", json=example)
    assert response.status_code == 200
    assert [set(p) for p in response.json()["predictions"]] == [{"value"}]
