"""`python -m service.train` as a person runs it: exit codes, messages, nothing half-written."""

import subprocess
import sys
import time

import pytest

from service.bundle import load_bundle
from service.train.__main__ import main

from tests.paths import ROOT

pytestmark = pytest.mark.component


def train(*args):
    return subprocess.run(
        [sys.executable, "-m", "service.train", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_training_writes_a_verified_bundle(tmp_path):
    done = train("--out", str(tmp_path / "model"))
    assert done.returncode == 0, done.stderr
    bundle = load_bundle(tmp_path / "model")
    assert done.stdout.startswith(f"wrote {tmp_path / 'model'}: penguins version {bundle.card.version}")
    assert bundle.card.data_sha256 == "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"


def test_bad_data_exits_1_naming_the_problem_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = (ROOT / "data" / "penguins.csv").read_text().splitlines()
    lines[10] = lines[10].replace("Torgersen", "Atlantis", 1)
    bad.write_text("\n".join(lines) + "\n")
    done = train("--data", str(bad), "--out", str(tmp_path / "model"))
    assert done.returncode == 1
    assert f"training stopped: {bad}: 1 problem(s) in the data" in done.stderr
    assert "row 10 (line 11), column 'island': 'Atlantis' is not one of" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_a_bad_config_value_exits_1_naming_the_setting(tmp_path, capsys):
    config = tmp_path / "stopline.toml"
    config.write_text((ROOT / "stopline.toml").read_text().replace("holdout_fraction = 0.25", "holdout_fraction = 2"))
    assert main(["--config", str(config), "--out", str(tmp_path / "model")]) == 1
    assert "invalid configuration: holdout_fraction: Input should be less than 1" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


def test_an_environment_override_is_validated_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STOPLINE_SEED", "-3")
    assert main(["--config", str(ROOT / "stopline.toml"), "--out", str(tmp_path / "model")]) == 1
    assert "seed: Input should be greater than or equal to 0" in capsys.readouterr().err
    assert not (tmp_path / "model").exists()


def test_training_the_default_project_takes_under_10_s_and_500_mb(tmp_path, record_property):
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
    done = subprocess.run([sys.executable, "-c", code, "--out", str(tmp_path / "model")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    megabytes = int(done.stdout.rsplit("maxrss_kb=", 1)[1]) / 1024
    record_property("train_seconds", round(seconds, 2))
    record_property("train_peak_rss_mb", round(megabytes))
    assert seconds < 10
    assert megabytes < 500
