"""What the service tells its operators: Prometheus metrics, JSON access logs, request ids."""

import json
import logging
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app.logs import JsonFormatter

pytestmark = pytest.mark.component


def samples(response):
    """Give {(name, sorted labels): value} for every sample in a /metrics answer."""
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_count_requests_predictions_batches_and_refusals(make_client, good_row, training_run):
    app = make_client()
    worn = dict(good_row, **{"Pump Model": "B 200", "Vibration RMS": 30.0, "Site": "south-yard"})
    assert app.post("/predict", json={"instances": [good_row, worn, good_row]}).status_code == 200
    bad = dict(good_row, **{"Inlet-Pressure": 99.0, "Site": "x"})
    assert app.post("/predict", json={"instances": [bad]}).status_code == 422
    assert app.post("/predict", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert app.get("/v2/models/iris").status_code == 404
    assert app.get("/nowhere").status_code == 404
    found = samples(app.get("/metrics"))

    def value(metric, **labels):
        return found.get((metric, tuple(sorted(labels.items()))))

    assert value("stopline_http_requests_total", route="/predict", method="POST", status="200") == 1
    assert value("stopline_http_requests_total", route="/predict", method="POST", status="422") == 1
    assert value("stopline_http_requests_total", route="/predict", method="POST", status="400") == 1
    assert value("stopline_http_requests_total", route="/v2/models/{name}", method="GET", status="404") == 1
    assert value("stopline_http_requests_total", route="(unmatched)", method="GET", status="404") == 1
    assert value("stopline_http_request_duration_seconds_count", route="/predict") == 3
    assert value("stopline_predictions_total", label="ok") == 2
    assert value("stopline_predictions_total", label="replace now") == 1
    assert value("stopline_predictions_total", label="needs service") == 0
    assert (value("stopline_batch_rows_count"), value("stopline_batch_rows_sum")) == (1, 3)
    assert value("stopline_validation_failures_total", field="Inlet-Pressure") == 1
    assert value("stopline_validation_failures_total", field="Site") == 1
    assert value("stopline_validation_failures_total", field="body") == 1
    assert value("stopline_model_info", name="pumps", version=training_run.card.version,
                 bundle_sha256=app.app.state.model.bundle.digest) == 1


def test_a_field_a_client_invents_is_counted_as_body(make_client, good_row):
    app = make_client()
    assert app.post("/predict", json={"instances": [dict(good_row, made_up=1)]}).status_code == 422
    found = samples(app.get("/metrics"))
    failures = {labels: v for (name, labels), v in found.items() if name == "stopline_validation_failures_total"}
    assert failures == {(("field", "instances"),): 1.0}


def test_each_app_owns_its_registry(make_client, good_row):
    first, second = make_client(), make_client()
    assert first.post("/predict", json={"instances": [good_row]}).status_code == 200
    key = ("stopline_batch_rows_count", ())
    assert (samples(first.get("/metrics"))[key], samples(second.get("/metrics"))[key]) == (1, 0)


def test_a_sane_request_id_is_echoed_and_logged_without_the_body(client, good_row, caplog):
    secret = dict(good_row, Site="south-yard")
    with caplog.at_level(logging.INFO, logger="stopline.access"):
        response = client.post("/predict?token=abc", json={"instances": [secret]}, headers={"x-request-id": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "stopline.access"]
    fields = record.fields
    assert set(fields) == {"request_id", "method", "path", "route", "status", "duration_ms", "client"}
    assert {k: fields[k] for k in ("request_id", "method", "path", "route", "status", "client")} == {
        "request_id": "req-42", "method": "POST", "path": "/predict", "route": "/predict", "status": 200,
        "client": "127.0.0.1"}
    assert 0 < fields["duration_ms"] < 10_000
    line = JsonFormatter().format(record)
    assert json.loads(line)["request_id"] == "req-42"
    assert "south-yard" not in line and "token" not in line


@pytest.mark.parametrize("given", [None, "x" * 129, "has space", "ünïcode"])
def test_a_missing_or_insane_request_id_is_replaced(client, given, caplog):
    headers = {"x-request-id": given.encode("utf-8")} if given else {}
    with caplog.at_level(logging.INFO, logger="stopline.access"):
        response = client.get("/health/live", headers=headers)
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id) and request_id != given
    assert [r.fields["request_id"] for r in caplog.records if r.name == "stopline.access"] == [request_id]


def test_refusals_before_routing_are_logged_with_their_route(make_client, caplog):
    app = make_client(max_body_bytes=1024)
    with caplog.at_level(logging.INFO, logger="stopline.access"):
        assert app.post("/predict", content=b" " * 2000).status_code == 413
    [record] = [r for r in caplog.records if r.name == "stopline.access"]
    assert (record.fields["route"], record.fields["status"]) == ("/predict", 413)
