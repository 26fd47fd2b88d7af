"""The model stage trains the configured project once, into the bundle the build stage ships.

The project is stopline.toml, or the file STOPLINE_CONFIG names: this stage is
the only one that knows the user's data, and it knows it only through what
the project declares.
"""

from pathlib import Path

import pytest

from service.bundle import load_bundle
from service.errors import StoplineError
from service.predictor import Predictor
from service.train.config import TrainConfig, config_path, load_config
from service.train.gate import GateVerdict, gate, write_gate_record
from service.train.run import TrainingRun, train
from scripts.deploy.champion import Champion, deployed_champion
from tests.paths import ROOT

GATED_BUNDLE = ROOT / "artifacts" / "model"
PROJECT_FILE = (ROOT / config_path()).resolve()
# The gate's verdict and the digest of the bundle it judged, for the record the stage writes.
VERDICT = pytest.StashKey[tuple[str, GateVerdict]]()


@pytest.fixture(scope="session")
def config() -> TrainConfig:
    return load_config(PROJECT_FILE)


@pytest.fixture(scope="session")
def run(config: TrainConfig) -> TrainingRun:
    # Training replaces the bundle directory whole, any gate record with it: the new
    # candidate is ungated until the whole stage has passed on it.
    return train(config, out=GATED_BUNDLE)


@pytest.fixture(scope="session")
def champion(config: TrainConfig, tmp_path_factory: pytest.TempPathFactory) -> Champion:
    """Give the champion: the project's `gate.champion` when set, else the model that serves now."""
    if config.gate.champion is not None:
        return Champion(config.gate.champion, f"configured: {config.gate.champion}")
    return deployed_champion(config, tmp_path_factory.mktemp("deployed"))


@pytest.fixture(scope="session")
def verdict(run: TrainingRun, config: TrainConfig, champion: Champion, request: pytest.FixtureRequest) -> GateVerdict:
    """Give the gate's verdict on the trained bundle, against the champion when there is one."""
    found = gate(run, config, champion=champion.bundle)
    request.config.stash[VERDICT] = (load_bundle(GATED_BUNDLE).digest, found)
    return found


def pytest_stopline_stage_finished(session: pytest.Session, stage: str, status: str, complete: bool) -> None:
    """Write the gate record, once every model-stage test passed on the bundle the gate judged."""
    if stage != "model" or status != "passed" or not complete:
        return
    digest, verdict = session.config.stash.get(VERDICT, (None, None))
    if verdict is not None and digest == load_bundle(GATED_BUNDLE).digest:
        write_gate_record(GATED_BUNDLE, PROJECT_FILE, verdict)


@pytest.fixture(scope="session")
def predictor(run: TrainingRun) -> Predictor:
    return Predictor.from_bundle(load_bundle(GATED_BUNDLE))


def retrain(config: TrainConfig, out: Path, **model_params) -> TrainingRun:
    changed = config.model_copy(update={"model": config.model.model_copy(update=model_params)})
    return train(changed, out=out)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give `check` one parameter per declared check, named after it."""
    if "check" not in metafunc.fixturenames:
        return
    try:
        declared = load_config(PROJECT_FILE).checks.all
    except StoplineError:
        declared = ()  # the `config` fixture fails the stage with the file's message
    metafunc.parametrize("check", range(len(declared)) or [pytest.param(None, marks=pytest.mark.skip(
        reason="no behavioural checks declared in the project file"))], ids=[c.name for c in declared] or None)
