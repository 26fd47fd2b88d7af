"""Typed dependencies the routes declare: the model being served, once it is ready."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.app.problems import Unavailable, one
from service.app.served_model import ServedModel


def served_model(request: Request) -> ServedModel:
    """Give the loaded, verified model; raise Unavailable (503) while there is none."""
    model: ServedModel | None = request.app.state.model
    if model is None:
        raise one(Unavailable, "the model is not loaded yet", "not_ready")
    return model


async def _served_model(request: Request) -> ServedModel:
    # Async, though it never awaits: FastAPI would run a plain function in a worker thread.
    return served_model(request)


ModelDep = Annotated[ServedModel, Depends(_served_model)]
