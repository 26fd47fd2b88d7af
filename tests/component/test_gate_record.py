"""The gate and its record: a bundle that passed carries gate.json, valid for that bundle and project file only.

Every test trains the fixture project (tests/fixture_project), copied into tmp_path so that its
project file can be edited, into a bundle of its own.
"""

import hashlib
import json
import os
import shutil

import pytest

from service.bundle import MODEL_FILE, load_bundle
from service.errors import BundleIntegrityError
from service.train.config import ConfigError, load_config
from service.train.gate import GATE_FILE, NotGatedError, gate, read_gate_record, write_gate_record
from service.train.run import train
from tests.paths import ROOT

pytestmark = pytest.mark.component

FIXTURE = ROOT / "tests" / "fixture_project"
HOW = "train and gate it with `make train` (or run `make test`)"
CHECKS = ["a quiet pump is ok", "a worn pump needs replacing", "an unknown site does not change the status",
          "more vibration, more likely to need replacing"]
NO_CHAMPION = "no champion: nothing to regress from"


@pytest.fixture(autouse=True)
def fixed_environment(monkeypatch):
    """Keep a caller's overrides out, and fix the build time so a retrain is told apart only on purpose."""
    for name in [n for n in os.environ if n.startswith("STOPLINE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")


@pytest.fixture
def project(tmp_path):
    """Give a copy of the fixture project's file, beside a copy of its data."""
    for name in ("stopline.toml", "regression.toml", "pumps.csv"):
        shutil.copyfile(FIXTURE / name, tmp_path / name)
    return tmp_path / "stopline.toml"


def edited(project, old, new, name):
    """Give a copy of `project` named `name` with `old` replaced by `new` (which must occur)."""
    text = project.read_text()
    assert old in text
    path = project.with_name(name)
    path.write_text(text.replace(old, new))
    return path


def gated(project, out):
    """Give the config, the run and the verdict of training `project` into `out` and gating it."""
    config = load_config(project)
    run = train(config, out=out)
    return config, run, gate(run, config)


def test_a_passed_bundle_gets_a_record_that_reads_back(project, tmp_path):
    out = tmp_path / "model"
    _, run, verdict = gated(project, out)
    assert verdict.passed
    assert verdict.failures == []
    assert verdict.checks == dict.fromkeys(CHECKS)
    assert (verdict.champion, verdict.notes) == (None, [NO_CHAMPION])
    record = write_gate_record(out, project, verdict)
    bundle = load_bundle(out)
    assert record == {
        "bundle_sha256": bundle.digest,
        "model_version": run.card.version,
        "git_sha": run.card.git_sha,
        "project": "pumps",
        "project_file": str(project.resolve()),
        "project_sha256": hashlib.sha256(project.read_bytes()).hexdigest(),
        "metrics": {"holdout_rows": 40, "accuracy": 0.925, "macro_f1": 0.922963, "log_loss": 0.297586,
                    "onnx_parity_max_abs_diff": run.parity_gap},
        "champion": None,
        "checks": CHECKS,
        "notes": [NO_CHAMPION],
    }
    assert read_gate_record(out, project) == record
    assert json.loads((out / GATE_FILE).read_text()) == record
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", GATE_FILE, MODEL_FILE]  # no staging left


def test_the_regression_project_is_gated_and_recorded_too(project, tmp_path):
    out = tmp_path / "model"
    _, run, verdict = gated(project.with_name("regression.toml"), out)
    assert verdict.passed
    assert verdict.checks == dict.fromkeys(["a quiet pump runs long", "the site barely matters",
                                            "more vibration, fewer hours"])
    write_gate_record(out, project.with_name("regression.toml"), verdict)
    record = read_gate_record(out, project.with_name("regression.toml"))
    # Metrics to a millionth, relatively: BLAS kernels differ in the last bits between CPUs.
    assert record["project"] == "pump-hours"
    assert (record["metrics"]["r2"], record["metrics"]["rmse"]) == pytest.approx((0.863433, 207.510951), rel=1e-6)
    assert record["checks"] == ["a quiet pump runs long", "more vibration, fewer hours", "the site barely matters"]


def test_a_bundle_without_a_record_is_not_gated(project, tmp_path):
    out = tmp_path / "model"
    gated(project, out)
    with pytest.raises(NotGatedError) as caught:
        read_gate_record(out, project)
    assert str(caught.value) == f"{out} has not passed the gate (no {GATE_FILE}): {HOW}"


def test_retraining_drops_the_record_and_an_old_record_does_not_fit_the_new_bundle(project, tmp_path, monkeypatch):
    out = tmp_path / "model"
    _, first, verdict = gated(project, out)
    write_gate_record(out, project, verdict)
    old_record = (out / GATE_FILE).read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225601")  # the same model, trained a second later
    _, second, _ = gated(project, out)
    assert second.card.version == first.card.version
    assert not (out / GATE_FILE).exists()
    (out / GATE_FILE).write_bytes(old_record)
    with pytest.raises(NotGatedError) as caught:
        read_gate_record(out, project)
    assert str(caught.value) == f"{out / GATE_FILE} is the record of another bundle than {out}: {HOW}"


def test_a_record_is_for_the_project_file_as_it_was_written(project, tmp_path):
    out = tmp_path / "model"
    config, _, verdict = gated(project, out)
    write_gate_record(out, project, verdict)
    text = project.read_text()
    project.write_text(text.replace("# The machinery's own fixture project", "# The machinery's fixture project", 1))
    assert project.read_text() != text
    assert load_config(project) == config  # only a comment changed, and still the record refuses
    with pytest.raises(NotGatedError) as caught:
        read_gate_record(out, project)
    assert str(caught.value) == (
        f"{out} passed the gate for {project.resolve()} as it was then, not for {project} as it is now: {HOW}"
    )
    project.write_text(text)
    assert read_gate_record(out, project)["project_sha256"] == hashlib.sha256(text.encode()).hexdigest()


def test_a_record_for_another_project_file_is_refused(project, tmp_path):
    out = tmp_path / "model"
    _, _, verdict = gated(project, out)
    write_gate_record(out, project, verdict)
    other = project.with_name("regression.toml")
    with pytest.raises(NotGatedError) as caught:
        read_gate_record(out, other)
    assert str(caught.value) == (
        f"{out} passed the gate for {project.resolve()} as it was then, not for {other} as it is now: {HOW}"
    )


def test_an_unreadable_record_is_named(project, tmp_path):
    out = tmp_path / "model"
    gated(project, out)
    (out / GATE_FILE).write_text("{not json")
    with pytest.raises(NotGatedError) as caught:
        read_gate_record(out, project)
    assert str(caught.value) == (
        f"{out / GATE_FILE}: unreadable gate record "
        f"(Expecting property name enclosed in double quotes: line 1 column 2 (char 1)): {HOW}"
    )


# read_gate_record calls record.get(...) on whatever JSON the file holds: a list, a string or
# null raises AttributeError, which no caller maps to "not gated".
@pytest.mark.parametrize("text", ["[]", '"gated"', "null"], ids=["array", "string", "null"])
def test_a_record_that_is_not_an_object_is_not_gated(project, tmp_path, text):
    out = tmp_path / "model"
    gated(project, out)
    (out / GATE_FILE).write_text(text)
    with pytest.raises(NotGatedError, match="unreadable gate record"):
        read_gate_record(out, project)


def test_a_damaged_bundle_is_an_integrity_error_whatever_its_record(project, tmp_path):
    out = tmp_path / "model"
    _, _, verdict = gated(project, out)
    write_gate_record(out, project, verdict)
    (out / MODEL_FILE).write_bytes((out / MODEL_FILE).read_bytes() + b"\0")
    with pytest.raises(BundleIntegrityError, match=rf"{MODEL_FILE}: sha256 \w+ does not match the manifest's"):
        read_gate_record(out, project)


def test_a_failed_gate_lists_each_threshold_and_gets_no_record(project, tmp_path, monkeypatch):
    monkeypatch.setenv("STOPLINE_GATE__MIN_MACRO_F1", "0.999")
    out = tmp_path / "model"
    _, _, verdict = gated(project, out)
    assert not verdict.passed
    assert verdict.failures == ["holdout macro_f1 0.9230 is below the threshold 0.9990"]
    with pytest.raises(ValueError, match="^only a bundle that passed the gate gets a record$"):
        write_gate_record(out, project, verdict)
    assert not (out / GATE_FILE).exists()


def test_a_failed_check_fails_the_gate_naming_the_check(project, tmp_path):
    wrong = edited(project, 'label = "ok"', 'label = "replace now"', "wrong.toml")
    _, _, verdict = gated(wrong, tmp_path / "model")
    message = "predicted 'ok' (p=0.776), expected 'replace now'"
    assert verdict.failures == [f"check 'a quiet pump is ok': {message}"]
    assert verdict.checks == {**dict.fromkeys(CHECKS), "a quiet pump is ok": message}


# Two checks with one name: the verdict is keyed by name, so the failing first one is
# replaced by the passing second, and the gate passes (service/train/gate.py, gate()).
def test_a_failing_check_is_not_hidden_by_a_namesake(project, tmp_path):
    wrong = edited(project, 'label = "ok"', 'label = "replace now"', "wrong.toml")
    twice = edited(wrong, 'name = "a worn pump needs replacing"', 'name = "a quiet pump is ok"', "twice.toml")
    try:
        _, _, verdict = gated(twice, tmp_path / "model")
    except ConfigError:  # refusing the file when it loads would do as well
        return
    assert not verdict.passed


def test_the_challenger_is_compared_with_the_champion_on_its_own_holdout(project, tmp_path):
    gated(project, tmp_path / "champion")
    config = load_config(project)
    run = train(config, out=tmp_path / "model")
    same = gate(run, config, champion=tmp_path / "champion")
    assert (same.passed, same.champion, same.notes) == (True, 0.922963, [])
    weak = edited(project, "C = 1.0", "C = 0.001", "weak.toml")
    config = load_config(weak)
    run = train(config, out=tmp_path / "weak")
    verdict = gate(run, config, champion=tmp_path / "champion")
    assert verdict.champion == 0.922963
    assert verdict.notes == []
    assert verdict.failures == [
        "holdout accuracy 0.7250 is below the threshold 0.9000",
        "holdout macro_f1 0.6870 is below the threshold 0.9000",
        "holdout log_loss 1.0655 is above the limit 0.5000",
        "challenger macro_f1 0.6870 regresses from the champion's 0.9230 by 0.2359, more than the allowed 0.0100",
        "check 'a quiet pump is ok': predicted 'needs service' (p=0.339), expected 'ok'",
        "check 'an unknown site does not change the status': record 'quiet pump': 'needs service' became 'ok'",
    ]


def test_the_champion_in_the_project_file_is_found_beside_it(project, tmp_path):
    gated(project, tmp_path / "champion")
    with_champion = edited(project, "max_regression = 0.01", 'max_regression = 0.01\nchampion = "champion"',
                           "challenger.toml")
    config, _, verdict = gated(with_champion, tmp_path / "model")
    assert config.gate.champion == tmp_path / "champion"
    assert (verdict.passed, verdict.champion, verdict.notes) == (True, 0.922963, [])


def test_a_champion_of_another_schema_cannot_be_compared(project, tmp_path):
    gated(project.with_name("regression.toml"), tmp_path / "champion")
    config = load_config(project)
    run = train(config, out=tmp_path / "model")
    with pytest.raises(ValueError) as caught:
        gate(run, config, champion=tmp_path / "champion")
    assert str(caught.value) == (
        f"champion {tmp_path / 'champion'} was trained on a different input schema; it cannot be compared"
    )
