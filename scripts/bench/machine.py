"""What the report records about the machine and the tools, and the model's in-process floor."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def loadavg() -> str:
    """Give the 1, 5 and 15 minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def describe() -> dict[str, Any]:
    """Give the machine, the load on it now, and the versions that decide the figures, MLServer's too."""
    mlserver_python = ROOT / ".bench/mlserver-venv/bin/python"
    peer = subprocess.run([str(mlserver_python), "-c", "from importlib import metadata as m; import json; "
                           "print(json.dumps({n: m.version(n) for n in ('mlserver', 'mlserver-sklearn', "
                           "'scikit-learn', 'fastapi', 'uvicorn', 'uvloop', 'httptools', 'numpy')}))"],
                          capture_output=True, text=True, check=True)
    return {**host(), "mlserver_versions": json.loads(peer.stdout)}


def host() -> dict[str, Any]:
    """Give the machine, the load on it now, and the versions of this venv that decide the figures."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {name: _version(name) for name in ("fastapi", "starlette", "uvicorn", "uvloop", "httptools",
                                                  "onnxruntime", "numpy", "orjson", "pydantic", "scikit-learn")}
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu_model": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_before": loadavg(),
        "git_sha": _git_sha(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
        "stopline_versions": versions,
    }


def floor(bundle: Path, predict_body: Path, cpu: int) -> dict[str, Any]:
    """Give the model's single-row latency in process, pinned to `cpu` like the servers."""
    done = subprocess.run(["taskset", "-c", str(cpu), sys.executable, "-m", "scripts.bench.floor", str(bundle),
                           str(predict_body)], cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def wrk_version() -> str:
    """Give wrk's version line."""
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_sha() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or "unknown"
