"""A scratch copy of the project as a git repository of its own, for a fault to be injected into."""

import shutil
import subprocess
from pathlib import Path

from tests.containers import sh
from tests.paths import ROOT


def scratch_copy(tmp_path: Path) -> Path:
    """Give a scratch repository holding the project's files (tracked and untracked, not ignored)."""
    project = tmp_path / "project"
    files = sh("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, project / name)
    (project / ".venv").symlink_to(ROOT / ".venv")
    if (ROOT / "build" / "wheels").is_dir():  # the wheelhouse; hard links, as docker ignores symlinks
        shutil.copytree(ROOT / "build" / "wheels", project / "build" / "wheels", copy_function=os_link)
    return project


def os_link(source: str, destination: str) -> None:
    Path(destination).hardlink_to(source)


def commit(project: Path) -> str:
    git = ["git", "-C", str(project), "-c", "user.name=faults", "-c", "user.email=faults@stopline.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "scratch with an injected fault"], check=True)
    return subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
