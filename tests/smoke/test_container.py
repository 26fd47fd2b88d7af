"""The running container over real HTTP: ready, faithful to the offline model, strict at the edge."""

import math

import numpy as np
import pytest

from service.bundle import load_bundle
from service.features import encode
from service.predictor import Predictor
from service.schema import CategoryFeature, NumberFeature
from service.train.config import config_path, load_config
from service.train.data import load_dataset
from service.train.run import split
from tests.paths import ROOT

from .conftest import READY_WITHIN_S, state

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def golden():
    """Give the project's holdout records and the gated bundle's offline predictions for them."""
    config = load_config(ROOT / config_path())
    dataset = load_dataset(config.data, config)
    _, holdout = split(dataset, config)
    rows = dataset.take(holdout)
    bundle = load_bundle(ROOT / "artifacts" / "model")
    answer = Predictor.from_bundle(bundle).predict(encode(config.input_schema, rows))
    records = [
        {name: (None if isinstance(v, float) and math.isnan(v) else v) for name, v in zip(rows, values)}
        for values in zip(*rows.values())
    ]
    return {"records": records, "answer": answer, "bundle": bundle, "schema": config.input_schema}


def test_the_container_is_ready_in_time(base_url, record_property):
    record_property("seconds_to_ready", state["ready_seconds"])
    assert state["ready_seconds"] <= READY_WITHIN_S


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready", "/v2/health/ready"])
def test_health_routes_answer_200(client, path):
    assert client.get(path).status_code == 200


def test_metadata_is_the_gated_bundle(client, golden):
    card = client.get("/metadata").json()
    bundle = golden["bundle"]
    assert card["bundle_sha256"] == bundle.digest
    assert card["version"] == bundle.card.version
    assert card["data_sha256"] == bundle.card.data_sha256
    assert card["git_sha"] == bundle.card.git_sha


def test_served_predictions_equal_the_offline_ones_on_the_holdout(client, golden):
    response = client.post("/predict", json={"instances": golden["records"]})
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == golden["bundle"].card.version
    served, answer = body["predictions"], golden["answer"]
    if answer.indices is None:  # a regressor: every value within 1e-5 of the offline one, relatively
        values = np.array([p["value"] for p in served])
        assert np.max(np.abs(values - answer.outputs) / np.maximum(np.abs(answer.outputs), 1.0)) <= 1e-5
        return
    classes = golden["bundle"].card.classes
    assert [p["label"] for p in served] == [classes[i] for i in answer.indices]
    served_probabilities = np.array([[p["probabilities"][c] for c in classes] for p in served])
    assert np.max(np.abs(served_probabilities - answer.outputs)) <= 1e-6


def refused_value(feature: NumberFeature | CategoryFeature) -> object:
    """Give a value the schema refuses for `feature`: an unknown category, or a number past its range."""
    return "(no such category)" if isinstance(feature, CategoryFeature) else feature.max + abs(feature.max) + 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("refused-value", 422, "instances[0].{first}"),
        ({"instances": []}, 422, "instances"),
        ({"rows": []}, 422, "instances"),
        ("not json", 400, "body"),
    ],
    ids=["refused-value", "empty-batch", "wrong-key", "invalid-json"],
)
def test_bad_input_is_answered_4xx_naming_the_field_and_the_service_keeps_serving(client, golden, body, status,
                                                                                  field):
    first = golden["schema"].features[0]
    field = field.format(first=first.name)
    if body == "refused-value":
        body = {"instances": [dict(golden["records"][0], **{first.name: refused_value(first)})]}
    if isinstance(body, str):
        response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    else:
        response = client.post("/predict", json=body)
    assert response.status_code == status
    assert field in [problem["field"] for problem in response.json()["detail"]]
    again = client.post("/predict", json={"instances": golden["records"][:1]})
    assert again.status_code == 200


def test_an_oversized_body_is_413(client):
    response = client.post("/predict", content=b" " * (2 * 1024 * 1024), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_metrics_count_what_was_served(client, golden):
    client.post("/predict", json={"instances": golden["records"][:3]})
    text = client.get("/metrics").text
    assert "# TYPE" in text
    assert f'version="{golden["bundle"].card.version}"' in text
