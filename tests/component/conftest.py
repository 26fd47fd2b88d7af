"""Fixtures for component tests: the project's own configuration, read from the file."""

import pytest

from service.train.config import TrainConfig, load_config
from tests.paths import ROOT


@pytest.fixture(scope="session")
def project_config() -> TrainConfig:
    return load_config(ROOT / "stopline.toml")
