"""The service's own API through ASGI: health, predictions equal to the offline ones, the model card."""

import asyncio
import math

import numpy as np
import pytest

from service.bundle import load_bundle
from service.predictor import Predictor

pytestmark = pytest.mark.component


def holdout_instances(training_run):
    """Give the holdout rows as records, with null where the data has no value."""
    rows = training_run.holdout.rows
    names = list(rows)
    count = len(rows[names[0]])
    return [
        {name: (None if isinstance(rows[name][i], float) and math.isnan(rows[name][i]) else rows[name][i])
         for name in names}
        for i in range(count)
    ]


@pytest.fixture(scope="module")
def offline(training_run, bundle_dir):
    """Give the offline answer for the holdout: labels and probabilities from the bundle's model."""
    bundle = load_bundle(bundle_dir)
    indices, probabilities = Predictor.from_bundle(bundle).predict(training_run.holdout.features)
    return [bundle.card.classes[i] for i in indices], probabilities, bundle.card


def test_live_answers_while_the_process_runs(client):
    response = client.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "live"})


@pytest.mark.parametrize("path", ["/health/ready", "/health"])
def test_ready_once_the_bundle_is_verified(client, training_run, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "model": "pumps", "version": training_run.card.version}


@pytest.mark.parametrize("path", ["/health/ready", "/health", "/predict", "/metadata", "/v2/health/ready"])
def test_not_ready_before_the_lifespan_loads_the_bundle(bundle_dir, path):
    import httpx

    from service.app import create_app
    from service.settings import ServiceSettings

    async def ask():
        app = create_app(ServiceSettings(bundle=bundle_dir))  # no lifespan: nothing loaded
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            live = await http.get("/health/live")
            answer = await http.request("POST" if path == "/predict" else "GET", path, json={"instances": []})
            return live, answer

    live, answer = asyncio.run(ask())
    assert live.status_code == 200
    assert answer.status_code == 503
    detail = [{"loc": [], "field": "", "msg": "the model is not loaded yet", "type": "not_ready"}]
    assert answer.json()["detail"] == detail


def test_predict_one_row_answers_every_field(client, good_row, training_run):
    response = client.post("/predict", json={"instances": [good_row]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"predictions", "model_version"}
    assert body["model_version"] == training_run.card.version
    [prediction] = body["predictions"]
    assert set(prediction) == {"label", "probabilities"}
    assert prediction["label"] == "ok"
    assert list(prediction["probabilities"]) == ["ok", "needs service", "replace now"]
    assert math.isclose(sum(prediction["probabilities"].values()), 1.0, abs_tol=1e-6)
    assert max(prediction["probabilities"], key=prediction["probabilities"].get) == "ok"


def test_served_predictions_equal_the_offline_ones_over_the_whole_holdout(client, training_run, offline):
    labels, probabilities, card = offline
    instances = holdout_instances(training_run)
    # The fixture's blanks reach the holdout: a missing number and a missing category travel as null.
    assert (len(instances), sum(r["Flow Rate (l/min)"] is None for r in instances),
            sum(r["Site"] is None for r in instances)) == (40, 1, 1)
    response = client.post("/predict", json={"instances": instances})
    assert response.status_code == 200
    served = response.json()["predictions"]
    assert [p["label"] for p in served] == labels
    served_probabilities = np.array([[p["probabilities"][c] for c in card.classes] for p in served])
    assert np.max(np.abs(served_probabilities - probabilities)) <= 1e-6
    assert [p["label"] for p in served] == [card.classes[i] for i in training_run.pipeline.predict(
        training_run.holdout.features)]


def test_concurrent_single_rows_each_get_their_own_answer(make_client, training_run, offline):
    # Requests in flight together share model calls (the micro-batcher): each must get its own row back.
    labels, probabilities, card = offline
    client = make_client(max_in_flight=len(labels))

    async def one_request_per_row():
        return await asyncio.gather(*(client.http.post("/predict", json={"instances": [row]})
                                      for row in holdout_instances(training_run)))

    responses = client.run(one_request_per_row())
    assert [r.status_code for r in responses] == [200] * len(labels)
    served = [r.json()["predictions"][0] for r in responses]
    assert [p["label"] for p in served] == labels
    served_probabilities = np.array([[p["probabilities"][c] for c in card.classes] for p in served])
    assert np.max(np.abs(served_probabilities - probabilities)) <= 1e-6


def test_a_batch_up_to_the_maximum_is_answered_in_order(make_client, good_row):
    small = make_client(max_batch_rows=3)
    vibrating = dict(good_row, **{"Pump Model": "C/300", "Vibration RMS": 13.0})
    worn = dict(good_row, **{"Pump Model": "B 200", "Vibration RMS": 30.0, "Site": "south-yard"})
    response = small.post("/predict", json={"instances": [vibrating, good_row, worn]})
    assert response.status_code == 200
    assert [p["label"] for p in response.json()["predictions"]] == ["needs service", "ok", "replace now"]


def test_metadata_is_the_model_card_with_the_bundle_digest(client, bundle_dir):
    bundle = load_bundle(bundle_dir)
    response = client.get("/metadata")
    assert response.status_code == 200
    card = response.json()
    assert card == {**bundle.card.model_dump(mode="json"), "bundle_sha256": bundle.digest}
    assert (card["name"], card["task"], card["version"]) == ("pumps", "classification", bundle.card.version)
    assert card["data_sha256"] == bundle.card.data_sha256
    assert [f["name"] for f in card["input_schema"]["features"]] == [
        "Flow Rate (l/min)", "Pump Model", "Inlet-Pressure", "Vibration RMS", "Site"]
    assert (card["target"], card["classes"]) == ("Service Status", ["ok", "needs service", "replace now"])
    assert card["metrics"]["macro_f1"] == bundle.card.metrics["macro_f1"]
