"""The API's documentation pages, /docs (Swagger UI 5) and /redoc (ReDoc 2), with their assets served here.

FastAPI's own pages load their JavaScript and CSS from a public CDN, so on a
network without the internet (an air-gapped cluster, this project's machines)
they are blank. The assets come from the fastapi-offline package instead (it
vendors Swagger UI 5 and ReDoc 2, the majors FastAPI's CDN links name), a
locked serving dependency, so they are inside the image; the pages are
FastAPI's own, pointed at them. One route per file rather than a Mount of the
package's directory: only these four files are reachable, and the route table
holds only Routes, each with its methods, as the OpenAPI checks expect.

Both pages carry a Content-Security-Policy that lets the browser load only from
this host. ReDoc's sidebar draws an <img> of cdn.redoc.ly's logo, which no
option turns off; offline, the browser waited on that name's lookup and the
page's load could last past 10 s. Under the policy the browser refuses the
image at once, and ReDoc hides it (its onError). 'unsafe-inline' is for the
pages' own inline script and the styles both UIs write at run time; data: and
blob: for the images and workers they make in the page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse

ASSETS = "/docs/assets"
PACKAGE_STATIC = Path(fastapi_offline.__file__).parent / "static"
PAGE_POLICY = {"Content-Security-Policy": "default-src 'self' 'unsafe-inline' data: blob:"}
MEDIA_TYPES = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
               "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}


def _asset(name: str) -> Callable[[Request], Awaitable[FileResponse]]:
    path, media_type = PACKAGE_STATIC / name, MEDIA_TYPES[name]

    async def serve(request: Request) -> FileResponse:
        return FileResponse(path, media_type=media_type)

    return serve


def add_docs(app: FastAPI) -> None:
    """Serve /docs and /redoc for `app`'s OpenAPI document, and the files they load under /docs/assets."""
    if app.openapi_url is None:
        return  # no document, nothing to show
    openapi_url = app.openapi_url

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy that strips a prefix
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png", swagger_ui_parameters=app.swagger_ui_parameters)
        page.headers.update(PAGE_POLICY)
        return page

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        page = get_redoc_html(
            openapi_url=root + openapi_url, title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js", redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False)  # else its fonts come from Google's CDN
        page.headers.update(PAGE_POLICY)
        return page

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    for name in MEDIA_TYPES:
        app.add_route(f"{ASSETS}/{name}", _asset(name), include_in_schema=False)
