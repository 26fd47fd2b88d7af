"""`python -m service.train` as a person runs it: exit codes, messages, the gate, nothing half-written.

It runs on the fixture project (tests/fixture_project), never on the default project's data.
"""

import os
import re
import subprocess
import sys
import time

import pytest

from service.bundle import load_bundle
from service.predictor import Predictor
from service.train.__main__ import main
from service.train.gate import NotGatedError, read_gate_record
from tests.paths import ROOT

pytestmark = pytest.mark.component

CLASSIFICATION = "tests/fixture_project/stopline.toml"
REGRESSION = "tests/fixture_project/regression.toml"
FIXTURE_SHA256 = "789da552ecfa387ce30f365ebff9d469871924ef47f6aaca55e08416973f8d84"
NO_CHAMPION = "no champion: nothing to regress from"


@pytest.fixture(autouse=True)
def no_stopline_environment(monkeypatch):
    """Keep a caller's overrides (STOPLINE_GATE__…) out of these runs: each test sets its own."""
    for name in [n for n in os.environ if n.startswith("STOPLINE_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def train(capsys, monkeypatch):
    """Give a runner of the command line in this process (imports paid once, not per run): its exit code and
    what it printed. One test below runs it as a fresh `python -m service.train`, as a person does."""
    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        with monkeypatch.context() as scoped:
            for name, value in env.items():
                scoped.setenv(name, value)
            status = main(list(args))
        printed = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, printed.out, printed.err)
    return run


def wrote(out, name, metrics, pattern=False):
    """Give the pattern of the first line a run prints: the bundle, its version, its holdout metrics."""
    metrics = metrics if pattern else re.escape(metrics)
    return rf"wrote {re.escape(str(out))}: {name} version [0-9a-f]{{12}}, holdout {metrics} in \d+\.\d\d s\n"


def test_training_writes_a_gated_bundle(tmp_path, train):
    out = tmp_path / "model"
    done = train("--config", CLASSIFICATION, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    bundle = load_bundle(out)
    first, second = done.stdout.splitlines(keepends=True)
    assert re.fullmatch(wrote(out, "pumps", "accuracy 0.9250, macro_f1 0.9230"), first)
    assert f"version {bundle.card.version}," in first
    assert second == f"gate passed for {CLASSIFICATION}: 4 check(s); {NO_CHAMPION}\n"
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", "gate.json", "model.onnx"]
    assert bundle.card.data_sha256 == FIXTURE_SHA256
    assert (bundle.card.task, bundle.card.target) == ("classification", "Service Status")
    assert bundle.card.classes == ("ok", "needs service", "replace now")
    record = read_gate_record(out, ROOT / CLASSIFICATION)
    assert record["bundle_sha256"] == bundle.digest
    assert record["project_file"] == str(ROOT / CLASSIFICATION)
    assert record["checks"] == [
        "a quiet pump is ok", "a worn pump needs replacing", "an unknown site does not change the status",
        "more vibration, more likely to need replacing",
    ]


def test_a_failed_gate_exits_1_listing_each_failure_and_leaves_the_bundle_ungated(tmp_path, train):
    out = tmp_path / "model"
    assert train("--config", CLASSIFICATION, "--out", str(out)).returncode == 0
    assert (out / "gate.json").exists()
    done = train("--config", CLASSIFICATION, "--out", str(out),
                 STOPLINE_GATE__MIN_MACRO_F1="0.999", STOPLINE_GATE__MAX_LOG_LOSS="0.1")
    assert done.returncode == 1
    assert re.fullmatch(wrote(out, "pumps", "accuracy 0.9250, macro_f1 0.9230"), done.stdout)
    assert done.stderr == (
        f"gate failed for {CLASSIFICATION}; {out} is not servable:\n"
        "  - holdout macro_f1 0.9230 is below the threshold 0.9990\n"
        "  - holdout log_loss 0.2976 is above the limit 0.1000\n"
    )
    # The bundle is written (to inspect), but the retrain took the old record with it.
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", "model.onnx"]
    load_bundle(out)
    with pytest.raises(NotGatedError, match="has not passed the gate"):
        read_gate_record(out, ROOT / CLASSIFICATION)


def test_the_regression_project_trains_and_gates(tmp_path, train):
    out = tmp_path / "model"
    done = train("--config", REGRESSION, "--out", str(out))
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines(keepends=True)
    # RMSE 207.51095 ± a few 1e-6: BLAS kernels differ in the last bits between CPUs.
    assert re.fullmatch(wrote(out, "pump-hours", "rmse 207.51(09|10), mae 84.9739, r2 0.8634", pattern=True), first)
    assert second == f"gate passed for {REGRESSION}: 3 check(s); {NO_CHAMPION}\n"
    bundle = load_bundle(out)
    assert (bundle.card.task, bundle.card.target, bundle.card.classes) == ("regression", "Hours To Failure", ())
    assert bundle.card.data_sha256 == FIXTURE_SHA256
    assert Predictor.from_bundle(bundle).n_classes == 0
    assert read_gate_record(out, ROOT / REGRESSION)["metrics"]["r2"] == pytest.approx(0.863433, rel=1e-6)


def test_a_failed_regression_gate_names_the_metric(tmp_path, train):
    out = tmp_path / "model"
    done = train("--config", REGRESSION, "--out", str(out), STOPLINE_GATE__MIN_R2="0.95")
    assert done.returncode == 1
    assert done.stderr == (
        f"gate failed for {REGRESSION}; {out} is not servable:\n"
        "  - holdout r2 0.8634 is below the threshold 0.9500\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["bundle.json", "model.onnx"]


def test_bad_data_exits_1_naming_the_problem_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = (ROOT / "tests" / "fixture_project" / "pumps.csv").read_text().splitlines()
    assert lines[10].startswith("P-1009,178.9,B 200,ok,")
    lines[10] = lines[10].replace("B 200", "D-400", 1)
    bad.write_text("\n".join(lines) + "\n")
    # The command as a person runs it: a fresh interpreter, its exit status, its two streams.
    done = subprocess.run(
        [sys.executable, "-m", "service.train", "--config", CLASSIFICATION, "--data", str(bad),
         "--out", str(tmp_path / "model")], cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        f"training stopped: {bad}: 1 problem(s) in the data\n"
        "  - row 10 (line 11), column 'Pump Model': 'D-400' is not one of ['A-100', 'B 200', 'C/300'] "
        "[rule: category]\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_bad_config_value_exits_1_naming_the_setting(tmp_path, capsys):
    config = tmp_path / "stopline.toml"
    config.write_text((ROOT / CLASSIFICATION).read_text().replace("holdout_fraction = 0.25", "holdout_fraction = 2"))
    assert main(["--config", str(config), "--out", str(tmp_path / "model")]) == 1
    assert capsys.readouterr().err == (
        f"training stopped: {config}: invalid configuration: holdout_fraction: Input should be less than 1\n"
    )
    assert not (tmp_path / "model").exists()


def test_an_environment_override_is_validated_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STOPLINE_SEED", "-3")
    assert main(["--config", str(ROOT / CLASSIFICATION), "--out", str(tmp_path / "model")]) == 1
    assert capsys.readouterr().err == (
        f"training stopped: {ROOT / CLASSIFICATION}: invalid configuration: "
        "seed: Input should be greater than or equal to 0\n"
    )
    assert not (tmp_path / "model").exists()


def test_a_gate_key_of_the_other_task_from_the_environment_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STOPLINE_GATE__MIN_R2", "0.9")
    assert main(["--config", str(ROOT / CLASSIFICATION), "--out", str(tmp_path / "model")]) == 1
    assert capsys.readouterr().err == (
        f"training stopped: {ROOT / CLASSIFICATION}: invalid configuration: (top level): Value error, "
        "gate ['min_r2'] are not metrics of classification; "
        "its gate keys are ['min_accuracy', 'min_macro_f1', 'max_log_loss']\n"
    )
    assert not (tmp_path / "model").exists()


def test_training_the_fixture_project_takes_under_10_s_and_500_mb(tmp_path, record_property):
    # The whole command as a person runs it, imports included, in a fresh interpreter. Its peak
    # is VmHWM, its own address space's high-water mark: ru_maxrss would not do, since Linux
    # carries the spawning process's peak across exec (under a full pytest run, ~430 MB).
    code = (
        "import re, sys\n"
        "from service.train.__main__ import main\n"
        "status = main(sys.argv[1:])\n"
        "with open('/proc/self/status') as f:\n"
        "    print('maxrss_kb=' + re.search(r'VmHWM:\\s+(\\d+) kB', f.read()).group(1))\n"
        "sys.exit(status)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "--config", CLASSIFICATION, "--out", str(tmp_path / "model")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "model" / "gate.json").exists()  # trained and gated, the whole command's work
    megabytes = int(done.stdout.rsplit("maxrss_kb=", 1)[1]) / 1024
    record_property("train_seconds", round(seconds, 2))
    record_property("train_peak_rss_mb", round(megabytes))
    assert seconds < 10
    assert megabytes < 500
