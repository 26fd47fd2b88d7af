"""The running container over real HTTP: ready, faithful to the offline model, strict at the edge."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.schema import CategoryFeature, NumberFeature
from tests.golden import Golden, golden_set, prediction_mismatch

from .conftest import READY_WITHIN_S, state

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def golden(shipped_bundle) -> Golden:
    return golden_set(shipped_bundle)


def test_the_container_is_ready_in_time(base_url, record_property):
    record_property("seconds_to_ready", state["ready_seconds"])
    assert state["ready_seconds"] <= READY_WITHIN_S


@pytest.mark.parametrize("path", ["/health", "/health/live", "/health/ready", "/v2/health/ready"])
def test_health_routes_answer_200(client, path):
    assert client.get(path).status_code == 200


def test_metadata_is_the_gated_bundle(client, golden):
    card = client.get("/metadata").json()
    bundle = golden.bundle
    assert card["bundle_sha256"] == bundle.digest
    assert card["version"] == bundle.card.version
    assert card["data_sha256"] == bundle.card.data_sha256
    assert card["git_sha"] == bundle.card.git_sha


def test_served_predictions_equal_the_offline_ones_on_the_holdout(client, golden):
    response = client.post("/predict", json={"instances": golden.records})
    assert response.status_code == 200
    assert prediction_mismatch(response.json(), golden) is None


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
    first = golden.schema.features[0]
    field = field.format(first=first.name)
    if body == "refused-value":
        body = {"instances": [dict(golden.records[0], **{first.name: refused_value(first)})]}
    if isinstance(body, str):
        response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    else:
        response = client.post("/predict", json=body)
    assert response.status_code == status
    assert field in [problem["field"] for problem in response.json()["detail"]]
    again = client.post("/predict", json={"instances": golden.records[:1]})
    assert again.status_code == 200


def test_an_oversized_body_is_413(client):
    response = client.post("/predict", content=b" " * (2 * 1024 * 1024), headers={"content-type": "application/json"})
    assert response.status_code == 413


def sample_total(text: str, name: str, **labels: str) -> float:
    """Give the sum of the samples of `name` whose labels include `labels`, in Prometheus text."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                total += sample.value
    return total


def test_metrics_count_what_was_served(client, golden):
    before = client.get("/metrics").text
    response = client.post("/predict", json={"instances": golden.records[:3]})
    assert response.status_code == 200
    after = client.get("/metrics").text
    assert sample_total(after, "stopline_predictions_total") - sample_total(before, "stopline_predictions_total") == 3
    served = {"route": "/predict", "method": "POST", "status": "200"}
    assert (sample_total(after, "stopline_http_requests_total", **served)
            - sample_total(before, "stopline_http_requests_total", **served)) == 1
    assert sample_total(after, "stopline_model_info", version=golden.bundle.card.version) == 1
