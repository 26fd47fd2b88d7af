"""/docs of the running container in a real headless browser: every operation renders, and POST /predict's
example succeeds from the page ("Try it out", then "Execute"), with nothing loaded from another host.

The browser is Debian's chromium driven through its chromedriver, installed by scripts/browser.sh when
missing, as the Docker engine is by scripts/docker/engine.sh; where it cannot be had, the test fails.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.containers import sh
from tests.paths import ROOT

pytestmark = pytest.mark.smoke

T = TypeVar("T")
WAIT_S = 10  # each of page load, render and answer; a cold chromium draws /docs in about 2 s here
SCREENSHOT = ROOT / "reports" / "docs-page.png"
PREDICT = '.opblock-post:has(.opblock-summary-path[data-path="/predict"])'
# (method, path) of every operation block Swagger UI drew.
SWAGGER_OPERATIONS = """return [...document.querySelectorAll('.opblock')].map(block => [
    block.querySelector('.opblock-summary-method').textContent,
    block.querySelector('.opblock-summary-path').dataset.path])"""
REDOC_OPERATION = '[data-section-id^="operation/"]'


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Give the paths of chromium and its chromedriver: installed when missing, or the stage fails."""
    browser, driver = sh(ROOT / "scripts" / "browser.sh", timeout=600).stdout.split()
    return browser, driver


@pytest.fixture(scope="module")
def open_page(chromium: tuple[str, str], base_url: str) -> Iterator[Callable[[str, str], WebDriver]]:
    """Give a function that opens one of the container's pages in a new headless chromium and waits until
    an element `drawn` (a CSS selector) is there; the browsers are closed after the module."""
    browser, driver = chromium
    opened: list[WebDriver] = []

    def open_(path: str, drawn: str) -> WebDriver:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        # Root in a container needs --no-sandbox; every address is local, so no proxy may be asked.
        for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--no-proxy-server",
                    "--window-size=1280,2400"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
        chrome = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver))
        opened.append(chrome)
        chrome.set_page_load_timeout(WAIT_S)
        with suppress(TimeoutException):  # a page still loading fails below, with what it shows
            chrome.get(base_url + path)
        if chrome.execute_script("return document.readyState") != "complete":
            fail_showing(chrome, f"{path} loaded")
        within(chrome, f"{path} drawn", lambda c: c.find_elements(By.CSS_SELECTOR, drawn))
        return chrome

    yield open_
    for chrome in opened:
        chrome.quit()


@pytest.fixture(scope="module")
def page(open_page: Callable[[str, str], WebDriver]) -> WebDriver:
    """Give a browser showing /docs, with the POST /predict operation drawn."""
    return open_page("/docs", PREDICT)


@pytest.fixture(scope="module")
def document(client: httpx.Client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def within(chrome: WebDriver, what: str, condition: Callable[[WebDriver], T]) -> T:
    """Give `condition`'s first truthy answer within WAIT_S; else fail with a screenshot and what the page shows."""
    try:
        return WebDriverWait(chrome, WAIT_S).until(condition)
    except TimeoutException:
        pass  # fail outside the handler: the message alone tells it
    fail_showing(chrome, what)


def fail_showing(chrome: WebDriver, what: str) -> NoReturn:
    """Fail the test naming what did not happen, with a screenshot, the console's errors and the page's text."""
    SCREENSHOT.parent.mkdir(exist_ok=True)
    chrome.save_screenshot(str(SCREENSHOT))
    shown = " | ".join(body.text for body in chrome.find_elements(By.TAG_NAME, "body"))[:3000]
    errors = [entry["message"] for entry in chrome.get_log("browser")]
    pytest.fail(f"{chrome.current_url}: {what}: not within {WAIT_S} s; screenshot {SCREENSHOT.relative_to(ROOT)}; "
                f"console errors: {errors or 'none'}; the page shows:\n{shown or '(nothing)'}", pytrace=False)


def test_every_documented_operation_renders(page: WebDriver, document: dict[str, Any]):
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert {("POST", "/predict"), ("POST", "/v2/models/{name}/infer")} <= documented
    assert {tuple(pair) for pair in page.execute_script(SWAGGER_OPERATIONS)} == documented


def test_the_page_loads_nothing_from_another_host(page: WebDriver, base_url: str):
    loaded = page.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert {urlsplit(url).path for url in loaded} >= {"/docs/assets/swagger-ui-bundle.js", "/openapi.json"}
    assert [url for url in loaded if urlsplit(url).netloc != urlsplit(base_url).netloc] == []


def test_the_predict_example_succeeds_from_the_page(page: WebDriver, client: httpx.Client):
    operation = page.find_element(By.CSS_SELECTOR, PREDICT)
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    within(page, '"Try it out" button', lambda _: operation.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0].click()
    within(page, '"Execute" button', lambda _: operation.find_elements(By.CSS_SELECTOR, "button.execute"))[0].click()
    answer = ".live-responses-table tbody .response"
    [row] = within(page, "the answer to Execute", lambda _: operation.find_elements(By.CSS_SELECTOR, answer))
    status = row.find_element(By.CSS_SELECTOR, ".response-col_status").text
    shown = row.find_element(By.CSS_SELECTOR, ".response-col_description pre").text
    assert status == "200", shown
    assert "predictions" in shown
    body = json.loads(shown)
    assert len(body["predictions"]) == 1
    assert body["model_version"] == client.get("/metadata").json()["version"]


def test_redoc_renders_every_documented_operation(open_page: Callable[[str, str], WebDriver],
                                                  document: dict[str, Any]):
    redoc = open_page("/redoc", REDOC_OPERATION)
    drawn = {element.get_attribute("data-section-id") for element in redoc.find_elements(By.CSS_SELECTOR,
                                                                                         REDOC_OPERATION)}
    assert drawn == {f"operation/{operation['operationId']}" for item in document["paths"].values()
                     for operation in item.values()}
