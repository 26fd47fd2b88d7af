"""The plugin as another repository gets it: built into a wheel, installed into a fresh venv, loaded by its entry point.

Offline and in about two seconds: the locked uv builds the wheel with its own backend and
installs pytest and pytest-order from its cache, which `make setup` filled.
"""

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.paths import ROOT

pytestmark = pytest.mark.component

UV = ROOT / ".venv" / "bin" / "uv"
# A throw-away project with no conftest: the markers work only if the entry point loaded the plugin.
PROJECT = {
    "test_checks.py": """
        import pytest


        @pytest.mark.smoke
        def test_the_service_answers():
            pass


        @pytest.mark.unit
        def test_the_arithmetic():
            assert 1 + 1 == 3


        @pytest.mark.lint
        @pytest.mark.order("last")
        def test_the_style():
            pass
    """,
}


# pytest-stopline's requirements and theirs (`uv pip check` below proves the list complete).
WHEEL_NEEDS = {"pytest", "pytest-order", "iniconfig", "packaging", "pluggy", "pygments"}


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # Nothing of this checkout's environment may reach the scratch run: it must find the plugin installed.
    leaks = ("PYTHONPATH", "PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "GITHUB_STEP_SUMMARY")
    env = {k: v for k, v in os.environ.items() if k not in leaks}
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = run(UV, "build", "--offline", "--quiet", "--wheel", "--out-dir", out, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def scratch_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv") / "venv"
    done = run(UV, "venv", "--offline", "--quiet", "--python", sys.executable, venv)
    assert done.returncode == 0, done.stdout + done.stderr
    python = venv / "bin" / "python"
    # The wheel and what it needs, at the versions this repository locks, taken from uv's cache without
    # resolving: an offline resolution needs metadata that setup's hash-pinned `uv pip sync` never caches.
    locked = (ROOT / "requirements" / "dev.txt").read_text().splitlines()
    pins = [line.split()[0] for line in locked if line.split("==")[0] in WHEEL_NEEDS]
    done = run(UV, "pip", "install", "--offline", "--quiet", "--no-deps", "--python", python, wheel, *pins)
    assert done.returncode == 0, done.stdout + done.stderr
    # And proof that this is all it needs: every requirement of every installed package is met.
    done = run(UV, "pip", "check", "--python", python)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv


def scratch_project(path: Path, conftest: str | None = None) -> Path:
    path.mkdir()
    for name, body in PROJECT.items():
        (path / name).write_text(textwrap.dedent(body))
    if conftest is not None:
        (path / "conftest.py").write_text(conftest)
    return path


def test_the_wheel_holds_the_plugin_and_nothing_of_this_repository(wheel):
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"pytest_stopline", "pytest_stopline-0.1.0.dist-info"}
    entry_points = zipfile.ZipFile(wheel).read("pytest_stopline-0.1.0.dist-info/entry_points.txt").decode()
    assert entry_points.split() == ["[pytest11]", "pytest_stopline.plugin", "=", "pytest_stopline.plugin"]


@pytest.mark.parametrize("conftest", [None, 'pytest_plugins = ["pytest_stopline.plugin"]\n'],
                         ids=["entry-point-only", "also-listed-in-conftest"])
def test_installed_elsewhere_the_plugin_orders_the_stages_and_stops_the_line(scratch_venv, tmp_path, conftest):
    project = scratch_project(tmp_path / "project", conftest)
    done = run(scratch_venv / "bin" / "python", "-m", "pytest", "-v", "-p", "no:cacheprovider", cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stopline-0.1.0" in done.stdout  # pytest names the plugins it loaded by entry point
    assert [line.split()[0] for line in done.stdout.splitlines() if line.startswith("test_checks.py::")] == [
        "test_checks.py::test_the_style", "test_checks.py::test_the_arithmetic",
    ]
    report = json.loads((project / "reports" / "pipeline.json").read_text())
    assert report["stopped_at"] == "unit"
    assert [(s["name"], s["status"]) for s in report["stages"]] == [
        ("lint", "passed"), ("unit", "failed"), ("smoke", "not_run"),
    ]
