"""/docs and /redoc load nothing from another host: every asset they name is served by the app itself."""

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.component

ASSET_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}


class References(HTMLParser):
    """The URLs a page's tags load (src and href attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("page, assets", [
    ("/docs", ["/docs/assets/swagger-ui.css", "/docs/assets/favicon.png", "/docs/assets/swagger-ui-bundle.js"]),
    ("/redoc", ["/docs/assets/favicon.png", "/docs/assets/redoc.standalone.js"]),
])
def test_the_page_names_only_its_own_assets(client, page, assets):
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert references(response.text) == assets
    assert re.findall(r"(?:https?:)?//[\w.-]+", response.text) == []  # no other origin, not even in a script
    assert "'/openapi.json'" in response.text or 'spec-url="/openapi.json"' in response.text


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_browser_may_load_the_page_s_assets_from_this_host_only(client, page):
    # ReDoc's script names an image on cdn.redoc.ly; the policy is what keeps the browser from asking for it.
    policy = client.get(page).headers["content-security-policy"]
    assert policy == "default-src 'self' 'unsafe-inline' data: blob:"


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_asset_a_page_names_is_served_with_its_type(client, page):
    for url in references(client.get(page).text):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == ASSET_TYPES[url[url.rindex("."):]], url
        assert int(response.headers["content-length"]) == len(response.content) > 1000, url


def test_swagger_ui_is_version_5_which_renders_openapi_3_1(client):
    # Swagger UI 4 shows "Unable to render this definition" for the 3.1 documents FastAPI writes.
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1.")
    bundle = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert re.search(r'PACKAGE_VERSION:"5\.\d+\.\d+"', bundle)


def test_only_the_named_files_are_reachable(client):
    # The package's Python files sit beside its static folder; nothing maps a path onto either.
    for url in ("/docs/assets/core.py", "/docs/assets/__init__.py", "/docs/assets/", "/docs/assets"):
        assert client.get(url).status_code == 404, url
