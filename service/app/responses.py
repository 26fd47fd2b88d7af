"""JSON responses rendered by orjson: fast, and strict about what JSON can carry."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """A JSON response serialised with orjson (FastAPI's ORJSONResponse is deprecated).

    numpy arrays are written directly (no `tolist()`); a float32 array as the shortest
    text that reads back as the same float32.
    """

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY)
