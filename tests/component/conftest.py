"""Fixtures for component tests: the fixture project's configuration, and a service trained on it.

The machinery is not the example: these tests run against tests/fixture_project/ (names
with spaces, parentheses, dashes and slashes), never against the default project's data.
"""

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from service.app import create_app
from service.settings import ServiceSettings
from service.train.config import TrainConfig, load_config
from service.train.run import TrainingRun, train
from tests.paths import ROOT

T = TypeVar("T")
FIXTURE_PROJECT = ROOT / "tests" / "fixture_project"


@pytest.fixture(scope="session")
def project_config() -> TrainConfig:
    """Give the fixture project's classification configuration."""
    return load_config(FIXTURE_PROJECT / "stopline.toml")


# --- The prediction service (tests/component/test_app_*.py): a bundle trained once per
# session, and apps driven through httpx's ASGI transport with their lifespan entered.


class AppClient:
    """An app with its lifespan entered, driven through httpx's ASGI transport on a private loop."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.app = create_app(settings)
        self.loop = asyncio.new_event_loop()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.run(self._lifespan.__aenter__())
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver")

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Give the result of `coroutine`, run to completion on this client's loop."""
        return self.loop.run_until_complete(coroutine)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.run(self.http.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.run(self.http.aclose())
        self.run(self._lifespan.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="session")
def training_run(project_config: TrainConfig, tmp_path_factory: pytest.TempPathFactory) -> TrainingRun:
    """Give a training run on the fixture project; its bundle is in a session temp dir."""
    return train(project_config, out=tmp_path_factory.mktemp("served") / "model")


@pytest.fixture(scope="session")
def bundle_dir(training_run: TrainingRun) -> Path:
    """Give the directory of the session's trained bundle."""
    return training_run.bundle_dir


@pytest.fixture(scope="session")
def client(bundle_dir: Path) -> Iterator[AppClient]:
    """Give one app serving the session's bundle with default settings, shared by tests that only read."""
    app_client = AppClient(ServiceSettings(bundle=bundle_dir))
    yield app_client
    app_client.close()


@pytest.fixture
def make_client(bundle_dir: Path) -> Iterator[Callable[..., AppClient]]:
    """Give a factory of fresh apps (own metrics, own settings), closed after the test."""
    made: list[AppClient] = []

    def make(**settings: Any) -> AppClient:
        made.append(AppClient(ServiceSettings(**{"bundle": bundle_dir, **settings})))
        return made[-1]

    yield make
    for app_client in made:
        app_client.close()


@pytest.fixture
def good_row() -> dict[str, Any]:
    """Give one record the schema allows (the fixture's "quiet pump": ok, as it happens)."""
    return {"Flow Rate (l/min)": 90.0, "Pump Model": "A-100", "Inlet-Pressure": 6.0, "Vibration RMS": 4.0,
            "Site": "North Yard"}
