"""The model stage trains the default project once, into the bundle the build stage ships."""

import json
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
# Written only when every model-stage test passed on GATED_BUNDLE: the build
# stage ships a bundle only if its digest is the one recorded here.
GATE_RECORD = ROOT / "artifacts" / "gate.json"


@pytest.fixture(scope="session")
def config() -> TrainConfig:
    return load_config(ROOT / "stopline.toml")


@pytest.fixture(scope="session")
def run(config: TrainConfig) -> TrainingRun:
    GATE_RECORD.unlink(missing_ok=True)  # the new candidate is ungated until the whole stage passes
    return train(config, out=GATED_BUNDLE)


def pytest_stopline_stage_finished(session: pytest.Session, stage: str, status: str, complete: bool) -> None:
    if stage != "model" or status != "passed" or not complete:
        return
    bundle = load_bundle(GATED_BUNDLE)
    record = {
        "bundle": str(GATED_BUNDLE.relative_to(ROOT)),
        "bundle_sha256": bundle.digest,
        "model_version": bundle.card.version,
        "git_sha": bundle.card.git_sha,
        "metrics": {k: bundle.card.metrics[k] for k in ("macro_f1", "accuracy", "log_loss")},
    }
    GATE_RECORD.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


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
