"""What training the project costs, as a person runs it: seconds and peak memory, recorded per run."""

import re
import subprocess
import sys
import time

import pytest

from tests.paths import ROOT

from .conftest import PROJECT_FILE

pytestmark = pytest.mark.model

# Bounds on the project's training as the command runs it: a fresh interpreter, imports included.
MAX_SECONDS = 60
MAX_PEAK_MB = 1500


def test_training_the_project_stays_within_time_and_memory(tmp_path, record_property):
    # Its peak is VmHWM, its own address space's high-water mark: ru_maxrss would not do, since
    # Linux carries the spawning process's peak across exec (under a full pytest run, ~430 MB).
    code = (
        "import re, sys\n"
        "from service.train.__main__ import main\n"
        "status = main(sys.argv[1:])\n"
        "with open('/proc/self/status') as f:\n"
        "    print('peak_kb=' + re.search(r'VmHWM:\\s+(\\d+) kB', f.read()).group(1))\n"
        "sys.exit(status)\n"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, "--config", str(PROJECT_FILE), "--out", str(tmp_path / "m")],
                          cwd=ROOT, capture_output=True, text=True, timeout=MAX_SECONDS * 2)
    seconds = time.perf_counter() - started
    # The command gates what it trains; whether the gate passes is test_quality_gate's to judge.
    assert done.returncode == 0 or "gate failed" in done.stderr, done.stderr
    megabytes = int(re.search(r"peak_kb=(\d+)", done.stdout).group(1)) / 1024
    record_property("train_command_seconds", round(seconds, 2))
    record_property("train_peak_rss_mb", round(megabytes))
    assert seconds < MAX_SECONDS
    assert megabytes < MAX_PEAK_MB
