"""The service's metrics: prometheus_client's own families, labels bounded to what the model declares."""

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app.metrics import AppMetrics
from service.predictor import Predictions

pytestmark = pytest.mark.unit
CLASSES = ("ok", "needs service", "replace now")


def samples(metrics):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(metrics.render().decode())
            for s in family.samples if not s.name.endswith("_created")}


def served(fields=("Site",)):
    metrics = AppMetrics()
    metrics.set_model("pumps", "v1", "sha", CLASSES, fields)
    return metrics


def test_every_class_shows_from_zero():
    counted = samples(served())
    assert [counted[("stopline_predictions_total", (("label", c),))] for c in CLASSES] == [0, 0, 0]
    assert counted[("stopline_model_info", (("bundle_sha256", "sha"), ("name", "pumps"), ("version", "v1")))] == 1


def test_requests_are_counted_by_route_method_and_status_with_their_latency():
    metrics = served()
    for seconds in (0.0004, 0.003, 0.003):
        metrics.observe_request("/predict", "POST", 200, seconds)
    metrics.observe_request("/predict", "POST", 422, 0.001)
    counted = samples(metrics)
    assert counted[("stopline_http_requests_total", (("method", "POST"), ("route", "/predict"),
                                                     ("status", "200")))] == 3
    assert counted[("stopline_http_requests_total", (("method", "POST"), ("route", "/predict"),
                                                     ("status", "422")))] == 1
    assert counted[("stopline_http_request_duration_seconds_bucket", (("le", "0.001"), ("route", "/predict")))] == 2
    assert counted[("stopline_http_request_duration_seconds_count", (("route", "/predict"),))] == 4


def test_predictions_are_counted_by_label_and_batches_by_rows():
    metrics = served()
    metrics.observe_predictions(Predictions(np.array([0, 2, 2]), np.zeros((3, 3), dtype=np.float32)))
    metrics.observe_predictions(Predictions(np.array([1]), np.zeros((1, 3), dtype=np.float32)))
    counted = samples(metrics)
    assert [counted[("stopline_predictions_total", (("label", c),))] for c in CLASSES] == [1, 1, 2]
    assert counted[("stopline_batch_rows_bucket", (("le", "1.0"),))] == 1
    assert counted[("stopline_batch_rows_sum", ())] == 4


def test_a_regressors_rows_count_under_one_label():
    metrics = AppMetrics()
    metrics.set_model("hours", "v1", "sha", (), [])
    metrics.observe_predictions(Predictions(None, np.zeros(5, dtype=np.float32)))
    assert samples(metrics)[("stopline_predictions_total", (("label", "(value)"),))] == 5


def test_a_field_a_client_invents_counts_as_body():
    metrics = served()
    metrics.count_validation_failures(["Site", "Site", "made up"])
    counted = samples(metrics)
    assert counted[("stopline_validation_failures_total", (("field", "Site"),))] == 1
    assert counted[("stopline_validation_failures_total", (("field", "body"),))] == 1
