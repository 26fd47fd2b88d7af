"""The hot metrics, kept as plain numbers, expose what prometheus_client's own classes would."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service.app.metrics import BATCH_BUCKETS, LATENCY_BUCKETS, AppMetrics
from service.predictor import Predictions

pytestmark = pytest.mark.unit
ROUTES = st.sampled_from(["/predict", "/health/live", "(unmatched)"])
STATUSES = st.sampled_from([200, 404, 422])
# Exactly on a bound, just either side of one, and anything in between.
LATENCIES = st.one_of(st.sampled_from(LATENCY_BUCKETS), st.floats(0, 5, allow_nan=False),
                      st.sampled_from(LATENCY_BUCKETS).map(lambda b: b * (1 + 1e-12)))
REQUESTS = st.lists(st.tuples(ROUTES, st.sampled_from(["GET", "POST"]), STATUSES, LATENCIES), max_size=40)
BATCHES = st.lists(st.lists(st.integers(0, 2), min_size=1, max_size=1200), max_size=6)
CLASSES = ("ok", "needs service", "replace now")


def samples(registry):
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(generate_latest(registry).decode())
            for s in family.samples if not s.name.endswith("_created")}


def reference(requests, batches):
    """The same observations through prometheus_client's Counter and Histogram."""
    registry = CollectorRegistry()
    counter = Counter("stopline_http_requests", "", ["route", "method", "status"], registry=registry)
    latency = Histogram("stopline_http_request_duration_seconds", "", ["route"], buckets=LATENCY_BUCKETS,
                        registry=registry)
    predictions = Counter("stopline_predictions", "", ["label"], registry=registry)
    rows = Histogram("stopline_batch_rows", "", buckets=BATCH_BUCKETS, registry=registry)
    for label in CLASSES:
        predictions.labels(label)
    for route, method, status, seconds in requests:
        counter.labels(route, method, str(status)).inc()
        latency.labels(route).observe(seconds)
    for batch in batches:
        rows.observe(len(batch))
        for index in batch:
            predictions.labels(CLASSES[index]).inc()
    return registry


@given(REQUESTS, BATCHES)
def test_the_hot_metrics_expose_what_the_client_classes_would(requests, batches):
    metrics = AppMetrics()
    metrics.set_model("pumps", "v1", "sha", CLASSES, [])
    for route, method, status, seconds in requests:
        metrics.observe_request(route, method, status, seconds)
    for batch in batches:
        indices = np.array(batch, dtype=np.int64)
        metrics.observe_predictions(Predictions(indices, np.zeros((len(batch), len(CLASSES)), dtype=np.float32)))
    ours = {key: value for key, value in samples(metrics.registry).items() if not key[0].startswith("stopline_model")}
    theirs = samples(reference(requests, batches))
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
