"""The model stage trains the default project once, into the bundle the build stage ships."""

from pathlib import Path

import numpy as np
import pytest

from service.bundle import load_bundle
from service.features import encode
from service.predictor import Predictor
from service.train.config import TrainConfig, load_config
from service.train.run import TrainingRun, train
from tests.paths import ROOT

GATED_BUNDLE = ROOT / "artifacts" / "model"


@pytest.fixture(scope="session")
def config() -> TrainConfig:
    return load_config(ROOT / "stopline.toml")


@pytest.fixture(scope="session")
def run(config: TrainConfig) -> TrainingRun:
    return train(config, out=GATED_BUNDLE)


@pytest.fixture(scope="session")
def predictor(run: TrainingRun) -> Predictor:
    return Predictor.from_bundle(load_bundle(GATED_BUNDLE))


@pytest.fixture(scope="session")
def classify(config: TrainConfig, predictor: Predictor):
    """Give a function from raw records to (labels, probabilities), through the served path."""

    def classify(records: list[dict]) -> tuple[list[str], np.ndarray]:
        columns = {name: [r.get(name) for r in records] for name in config.input_schema.names}
        indices, probabilities = predictor.predict(encode(config.input_schema, columns))
        return [config.classes[i] for i in indices], probabilities

    return classify


def retrain(config: TrainConfig, out: Path, **model_params) -> TrainingRun:
    changed = config.model_copy(update={"model": config.model.model_copy(update=model_params)})
    return train(changed, out=out)
