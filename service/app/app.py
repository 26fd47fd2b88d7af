"""Build the prediction service: `create_app(settings)`; the bundle loads in the lifespan.

Building an app does no work: nothing is read until the lifespan starts, and
the lifespan refuses to start (so the server never answers ready) when the
bundle fails verification. Every request takes one path: the edge
(service.app.edge), then FastAPI's router over the endpoint table
(service.app.routes), then the endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from service.app import model as served
from service.app.checks import TOP_LEVEL_FIELDS
from service.app.docs_ui import add_docs
from service.app.edge import BodyReader, Edge, InFlight
from service.app.metrics import AppMetrics
from service.app.openapi import document
from service.app.routes import ENDPOINTS, routes
from service.errors import StoplineError
from service.settings import ServiceSettings

log = logging.getLogger("stopline.service")
TITLE = "stopline prediction service"
DESCRIPTION = "Predictions from a verified model bundle. Every refusal is JSON naming the field."


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load and verify the bundle, then serve; a bundle that fails verification stops the start."""
    settings: ServiceSettings = app.state.settings
    try:
        model = served.load(settings.bundle, settings.max_batch_rows)
    except StoplineError as exc:
        app.state.startup_error = str(exc)
        log.error("bundle refused: %s", exc, extra={"fields": {"bundle": str(settings.bundle)}})
        raise
    app.state.metrics.set_model(model.name, model.version, model.bundle.digest, model.card.classes,
                                [*model.checks.names, *TOP_LEVEL_FIELDS, "body"])
    app.state.model = model
    log.info("model ready", extra={"fields": {"model": model.name, "version": model.version,
                                              "bundle_sha256": model.bundle.digest}})
    try:
        yield
    finally:
        app.state.model = None


class ServiceApp(FastAPI):
    """FastAPI with the service's edge in place of its default middleware (see service.app.edge)."""

    def build_middleware_stack(self) -> ASGIApp:
        return Edge(self.router, self.state.metrics)

    def openapi(self) -> dict[str, Any]:
        """Give the OpenAPI document, complete (and cached) once the model is loaded."""
        if self.openapi_schema is None:
            model = self.state.model
            made = document(self.title, self.version, self.description, ENDPOINTS, model)
            if model is None:
                return made
            self.openapi_schema = made
        return self.openapi_schema


def create_app(settings: ServiceSettings) -> ServiceApp:
    """Give a new app serving the bundle `settings` names, with its own metrics registry."""
    app = ServiceApp(
        title=TITLE, version="1", description=DESCRIPTION, lifespan=lifespan,
        docs_url=None, redoc_url=None,  # served by service.app.docs_ui, from the image
        # The service has its own metrics and logs; FastAPI's OpenTelemetry would look up the
        # global providers (and read the environment) on every request to find nothing to do.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.model = None
    app.state.startup_error = None
    app.state.metrics = AppMetrics()
    app.state.read_body = BodyReader(settings)
    app.router.routes[:0] = routes(ENDPOINTS, InFlight(settings))
    add_docs(app)
    return app
