"""The service's Prometheus metrics, in a registry each app owns.

Labels are bounded: routes are templates (`/v2/models/{name}/infer`, never the
raw path), fields are declared names, labels are the model's classes.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from service.predictor import Predictions

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
UNMATCHED = "(unmatched)"
VALUE_LABEL = "(value)"  # the one `label` of stopline_predictions for a regressor


class AppMetrics:
    """Every metric the service exposes, registered in its own CollectorRegistry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("stopline_http_requests", "HTTP requests answered, by route template, method and "
                                "status.", ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("stopline_http_request_duration_seconds", "Time from request to the end of the "
                                 "answer, by route.", ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter("stopline_predictions", "Rows predicted, by predicted label.", ["label"],
                                   registry=self.registry)
        self.batch_rows = Histogram("stopline_batch_rows", "Rows per prediction request.", buckets=BATCH_BUCKETS,
                                    registry=self.registry)
        self.validation_failures = Counter(
            "stopline_validation_failures", "Refused requests, by the field at fault (`body` for the whole body).",
            ["field"], registry=self.registry)
        self.model = Info("stopline_model", "The model being served.", registry=self.registry)
        self._fields: frozenset[str] = frozenset()
        self._by_class: list[MetricWrapperBase] = []
        # Each request's labelled children, found once: `labels()` takes a lock and builds a key
        # every call, ~5 us of the four updates a prediction makes (tests/unit/test_app_metrics.py).
        self._per_request: dict[tuple[str, str, int], tuple[MetricWrapperBase, MetricWrapperBase]] = {}

    def set_model(self, name: str, version: str, bundle_sha256: str, labels: tuple[str, ...],
                  fields: Iterable[str]) -> None:
        """Record the model being served, and the names metric labels may take."""
        self.model.info({"name": name, "version": version, "bundle_sha256": bundle_sha256})
        self._fields = frozenset(fields)
        # Every class shows, at zero, before its first prediction.
        self._by_class = [self.predictions.labels(label) for label in labels or (VALUE_LABEL,)]

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        key = (route, method, status)
        children = self._per_request.get(key)
        if children is None:
            children = self._per_request[key] = (self.requests.labels(route, method, str(status)),
                                                 self.latency.labels(route))
        children[0].inc()  # type: ignore[attr-defined]
        children[1].observe(seconds)  # type: ignore[attr-defined]

    def observe_predictions(self, answer: Predictions) -> None:
        """Count one batch: its size and each predicted label (a regressor's rows all count as VALUE_LABEL)."""
        rows = len(answer.outputs)
        self.batch_rows.observe(rows)
        if answer.indices is None:
            self._by_class[0].inc(rows)  # type: ignore[attr-defined]
            return
        for index, count in enumerate(np.bincount(answer.indices, minlength=len(self._by_class)).tolist()):
            if count:
                self._by_class[index].inc(count)  # type: ignore[attr-defined]

    def count_validation_failures(self, fields: Iterable[str]) -> None:
        """Count one refused request against each distinct field at fault; unknown names count as `body`."""
        for field in {f if f in self._fields else "body" for f in fields}:
            self.validation_failures.labels(field).inc()

    def render(self) -> bytes:
        """Give every metric in Prometheus text format."""
        return generate_latest(self.registry)
