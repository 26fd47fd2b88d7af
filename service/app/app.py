"""Build the prediction service: `create_app(settings)`; the bundle loads in the lifespan.

Building an app does no work: nothing is read until the lifespan starts, and
the lifespan refuses to start (so the server never answers ready) when the
bundle fails verification.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from service.app import health, metrics, routes_predict, routes_v2, served_model
from service.app.docs_ui import add_docs
from service.app.errors import install_error_handlers
from service.app.hot import HotRoutes
from service.app.limits import BodyLimit, InFlightLimit
from service.app.metrics import AppMetrics
from service.app.observe import Observe
from service.app.openapi import openapi_builder
from service.app.problems import TOP_LEVEL_FIELDS
from service.errors import StoplineError
from service.settings import ServiceSettings

log = logging.getLogger("stopline.service")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load and verify the bundle, then serve; a bundle that fails verification stops the start."""
    settings: ServiceSettings = app.state.settings
    try:
        model = served_model.load(settings.bundle, settings.max_batch_rows)
    except StoplineError as exc:
        app.state.startup_error = str(exc)
        log.error("bundle refused: %s", exc, extra={"fields": {"bundle": str(settings.bundle)}})
        raise
    app.state.metrics.set_model(
        model.name, model.version, model.bundle.digest, model.classes,
        [*model.schema.names, *TOP_LEVEL_FIELDS, "body"],
    )
    app.state.model = model
    log.info("model ready", extra={"fields": {"model": model.name, "version": model.version,
                                              "bundle_sha256": model.bundle.digest}})
    try:
        yield
    finally:
        app.state.model = None


class ServiceApp(FastAPI):
    """FastAPI, behind the service's own edge: observation, limits, then the hot routes.

    The edge is pure ASGI outside FastAPI's middleware stack, so a prediction or a
    liveness probe pays for no framework layer it does not use; every other request
    goes through the edge and on into FastAPI's whole stack.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # FastAPI's __call__ adds only its native telemetry (off, see create_app) and root_path,
        # then Starlette's records the app and builds the stack once: an HTTP request after the
        # first goes straight to the edge, two coroutine layers sooner.
        if scope["type"] != "http" or self.middleware_stack is None or self.root_path:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        await self.middleware_stack(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        settings: ServiceSettings = self.state.settings
        metrics: AppMetrics = self.state.metrics
        app: ASGIApp = HotRoutes(super().build_middleware_stack(), HOT_ROUTES)
        app = BodyLimit(app, settings, metrics=metrics)
        app = InFlightLimit(app, max_in_flight=settings.max_in_flight, retry_after_s=settings.retry_after_s)
        return Observe(app, metrics=metrics)  # outermost: it sees every answer, the limits' 413 and 503 too


HOT_ROUTES = [*routes_predict.hot_routes, *routes_v2.hot_routes, *health.hot_routes]


def create_app(settings: ServiceSettings) -> ServiceApp:
    """Give a new app serving the bundle `settings` names, with its own metrics registry."""
    app = ServiceApp(
        title="stopline prediction service",
        version="1",
        description="Predictions from a verified model bundle. Every refusal is JSON naming the field.",
        lifespan=lifespan,
        docs_url=None,  # served by service.app.docs_ui, from the image
        redoc_url=None,
        # The service has its own metrics and logs; FastAPI's OpenTelemetry would look up the
        # global providers (and read the environment) on every request to find nothing to do.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.model = None
    app.state.startup_error = None
    app.state.metrics = AppMetrics()
    # Flat, and the busiest first: inference, then probes. include_router (FastAPI 0.165) matches
    # through every included router on each request: ~80 us a request at the tail, measured.
    app.router.routes[:0] = [
        *routes_predict.hot_routes, *routes_v2.hot_routes,
        *health.router.routes, *metrics.router.routes, *routes_predict.router.routes, *routes_v2.router.routes,
    ]
    install_error_handlers(app)
    add_docs(app)
    documented = [*routes_predict.docs.routes, *routes_v2.docs.routes]
    app.openapi = openapi_builder(app, documented)  # type: ignore[method-assign]
    return app
