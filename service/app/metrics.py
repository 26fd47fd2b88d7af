"""The service's Prometheus metrics, in a registry each app owns, and the GET /metrics route.

Labels are bounded: routes are templates (`/v2/models/{name}/infer`, never the
raw path), fields are declared names, labels are the model's classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

import numpy as np
import numpy.typing as npt
from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, Info, generate_latest
from starlette.responses import Response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
UNMATCHED = "(unmatched)"


class AppMetrics:
    """Every metric the service exposes, registered in its own CollectorRegistry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "stopline_http_requests", "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "stopline_http_request_duration_seconds", "Time from request to the end of the answer, by route.",
            ["route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.predictions = Counter(
            "stopline_predictions", "Rows predicted, by predicted label.", ["label"], registry=self.registry
        )
        self.batch_rows = Histogram(
            "stopline_batch_rows", "Rows per prediction request.", buckets=BATCH_BUCKETS, registry=self.registry
        )
        self.validation_failures = Counter(
            "stopline_validation_failures", "Refused requests, by the field at fault (`body` for the whole body).",
            ["field"], registry=self.registry,
        )
        self.model = Info("stopline_model", "The model being served.", registry=self.registry)
        self._fields: frozenset[str] = frozenset()
        self._by_label: list[Counter] = []  # children of `predictions`, by class index
        # The children of `requests` and `latency` for each (route, method, status) seen: labels()
        # checks and locks on every call (~2 us); the set of keys is bounded like the labels are.
        self._by_request: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def set_model(self, name: str, version: str, bundle_sha256: str, labels: tuple[str, ...],
                  fields: Iterable[str]) -> None:
        """Record the model being served, and the names metric labels may take."""
        self.model.info({"name": name, "version": version, "bundle_sha256": bundle_sha256})
        self._fields = frozenset(fields)
        # Every class shows, at zero, before its first prediction.
        self._by_label = [self.predictions.labels(label) for label in labels]

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        key = (route, method, status)
        children = self._by_request.get(key)
        if children is None:
            children = self._by_request[key] = (self.requests.labels(route, method, str(status)),
                                                self.latency.labels(route))
        children[0].inc()
        children[1].observe(seconds)

    def observe_predictions(self, indices: npt.NDArray[np.int64]) -> None:
        """Count one batch: its size and each predicted label."""
        self.batch_rows.observe(len(indices))
        if len(indices) == 1:
            self._by_label[int(indices[0])].inc()
            return
        for index, count in enumerate(np.bincount(indices, minlength=len(self._by_label)).tolist()):
            if count:
                self._by_label[index].inc(count)

    def count_validation_failures(self, fields: Iterable[str]) -> None:
        """Count one refused request against each distinct field at fault; unknown names count as `body`."""
        for field in {f if f in self._fields else "body" for f in fields}:
            self.validation_failures.labels(field).inc()

    def render(self) -> bytes:
        """Give every metric in Prometheus text format."""
        return generate_latest(self.registry)


async def app_metrics(request: Request) -> AppMetrics:
    """Give the metrics of the app serving `request` (async: no worker-thread hop)."""
    metrics: AppMetrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[AppMetrics, Depends(app_metrics)]
router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(registry: MetricsDep) -> Response:
    """Every metric in Prometheus text format."""
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
