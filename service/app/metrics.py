"""The service's Prometheus metrics, in a registry each app owns, and the GET /metrics route.

Labels are bounded: routes are templates (`/v2/models/{name}/infer`, never the
raw path), fields are declared names, labels are the model's classes.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from starlette.responses import Response

from service.predictor import Predictions

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
UNMATCHED = "(unmatched)"
VALUE_LABEL = "(value)"  # the one `label` of stopline_predictions for a regressor


class _Histogram:
    """One histogram's state as plain numbers: a count per bucket (not cumulative), and the sum."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last counts what passes every bound (+Inf)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1  # the first bucket whose bound >= value
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        """Give the cumulative buckets as the exposition writes them, +Inf last."""
        return list(zip([*map(floatToGoString, self.bounds), "+Inf"], accumulate(self.counts)))


class _Hot:
    """The metrics every request touches, kept as plain numbers and exposed when scraped.

    prometheus_client's Counter and Histogram take a lock per update and walk
    their buckets in Python: ~25 us of a single-row prediction's ~90 under load
    (make bench, metrics on against off). Every update and every scrape runs on
    the event loop's one thread, so plain numbers need no lock; `collect` writes
    the same families the client's own classes would, less their `_created`
    samples.
    """

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], int] = {}
        self.latency: dict[str, _Histogram] = {}
        self.labels: tuple[str, ...] = ()
        self.predicted: list[int] = []  # rows predicted, by class index
        self.batch_rows = _Histogram(BATCH_BUCKETS)

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "stopline_http_requests", "HTTP requests answered, by route template, method and status.",
            labels=["route", "method", "status"])
        for (route, method, status), count in self.requests.items():
            requests.add_metric([route, method, str(status)], count)
        yield requests
        latency = HistogramMetricFamily(
            "stopline_http_request_duration_seconds", "Time from request to the end of the answer, by route.",
            labels=["route"])
        for route, histogram in self.latency.items():
            latency.add_metric([route], histogram.buckets(), histogram.total)
        yield latency
        predictions = CounterMetricFamily("stopline_predictions", "Rows predicted, by predicted label.",
                                          labels=["label"])
        for label, count in zip(self.labels, self.predicted):
            predictions.add_metric([label], count)
        yield predictions
        yield HistogramMetricFamily("stopline_batch_rows", "Rows per prediction request.",
                                    buckets=self.batch_rows.buckets(), sum_value=self.batch_rows.total)


class AppMetrics:
    """Every metric the service exposes, registered in its own CollectorRegistry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._hot = _Hot()
        self.registry.register(self._hot)
        self.validation_failures = Counter(
            "stopline_validation_failures", "Refused requests, by the field at fault (`body` for the whole body).",
            ["field"], registry=self.registry,
        )
        self.model = Info("stopline_model", "The model being served.", registry=self.registry)
        self._fields: frozenset[str] = frozenset()

    def set_model(self, name: str, version: str, bundle_sha256: str, labels: tuple[str, ...],
                  fields: Iterable[str]) -> None:
        """Record the model being served, and the names metric labels may take."""
        self.model.info({"name": name, "version": version, "bundle_sha256": bundle_sha256})
        self._fields = frozenset(fields)
        # Every class shows, at zero, before its first prediction.
        labels = labels or (VALUE_LABEL,)
        self._hot.labels = labels
        self._hot.predicted = [0] * len(labels)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        hot = self._hot
        key = (route, method, status)
        hot.requests[key] = hot.requests.get(key, 0) + 1
        latency = hot.latency.get(route)
        if latency is None:
            latency = hot.latency[route] = _Histogram(LATENCY_BUCKETS)
        latency.observe(seconds)

    def observe_predictions(self, answer: Predictions) -> None:
        """Count one batch: its size and each predicted label (a regressor's rows all count as VALUE_LABEL)."""
        hot = self._hot
        indices = answer.indices
        if indices is None:
            hot.batch_rows.observe(len(answer.outputs))
            hot.predicted[0] += len(answer.outputs)
            return
        hot.batch_rows.observe(len(indices))
        if len(indices) == 1:
            hot.predicted[int(indices[0])] += 1
            return
        for index, count in enumerate(np.bincount(indices, minlength=len(hot.predicted)).tolist()):
            hot.predicted[index] += count

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
