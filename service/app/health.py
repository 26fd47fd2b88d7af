"""Liveness and readiness: live while the process runs, ready once the model is loaded and verified."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from service.app.deps import ModelDep
from service.app.responses import OrjsonResponse

router = APIRouter(tags=["health"])
LIVE = b'{"status":"live"}'
NOT_READY: dict[int | str, dict[str, Any]] = {503: {"description": "The model is not loaded (yet)."}}


@router.get("/health/live")
async def live() -> Response:
    """200 while the process runs, whatever the model's state."""
    return Response(LIVE, media_type="application/json")


async def _live(request: Request) -> Response:
    return await live()


# GET /health/live is answered by service.app.hot before the router, like the inference routes:
# the probe that must answer under any load goes through no more machinery than they do.
hot_routes = [Route("/health/live", _live, methods=["GET"])]


@router.get("/health/ready", responses=NOT_READY)
async def ready(model: ModelDep) -> Response:
    """200 once the model is loaded and verified, else 503."""
    return OrjsonResponse({"status": "ready", "model": model.name, "version": model.version})


@router.get("/health", responses=NOT_READY)
async def health(model: ModelDep) -> Response:
    """The same answer as /health/ready."""
    return await ready(model)
