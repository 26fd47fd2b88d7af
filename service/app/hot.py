"""The hot routes, answered before FastAPI's own stack: inference and liveness.

A request FastAPI serves passes its server-error, telemetry and body-limit
middleware, Starlette's exception middleware, FastAPI's exit-stack
middleware, the router's match loop and two exception wrappers before its
endpoint runs: ~45 us a request here, more than a single-row prediction's
own work (py-spy, scripts/bench). The hot routes are few and fixed, so this
last layer of the service's edge (see service.app.app) matches them by
method and path, calls the endpoint itself and answers errors exactly as the
app's handlers do: a client error with its JSON refusal, anything else with
the logged JSON 500. Every other request (other methods, HEAD, unknown paths)
goes on to FastAPI, where the same routes stay registered for 405 answers,
/docs and templates.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from service.app.errors import CLIENT_GONE, client_error_response, unexpected_error_response
from service.app.problems import ClientError


class HotRoutes:
    """Calls the endpoints of `routes` directly for the methods they declare (HEAD excepted)."""

    def __init__(self, app: ASGIApp, routes: Iterable[Route]) -> None:
        self.app = app
        self._static: dict[tuple[str, str], Route] = {}
        self._templated: list[tuple[str, Route]] = []
        for route in routes:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                if route.param_convertors:
                    self._templated.append((method, route))
                else:
                    self._static[(method, route.path)] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._match(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # what the router would record: the access log names the template
        request = Request(scope, receive, send)
        try:
            response = await route.endpoint(request)
        except ClientError as exc:
            response = client_error_response(request, exc)
        except ClientDisconnect:
            response = Response(status_code=CLIENT_GONE)  # nobody reads it; the access log and metrics do
        except Exception as exc:  # what FastAPI's server-error middleware would answer, logged once
            response = unexpected_error_response(request, exc)
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> Route | None:
        """Give the hot route for this request, with its path parameters put in `scope`, or None."""
        method = scope["method"]
        if not scope.get("root_path"):
            route = self._static.get((method, scope["path"]))
            if route is not None:
                scope["path_params"] = {}
                return route
        for route_method, route in self._templated:
            if route_method == method:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)
                    return route
        return None
