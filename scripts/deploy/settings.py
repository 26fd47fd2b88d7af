"""Where delivery happens on this machine: every name and address in one place, from the environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "deploy"
STACK_FILE = ROOT / "deploy" / "stack.yml"
# Outside the checkout, so releases survive `make clean` and a fresh clone. Keep in step with
# scripts/deploy/registry.sh, which puts the registry's storage there too.
DEFAULT_STATE = "/var/lib/stopline" if os.geteuid() == 0 else os.path.expanduser("~/.local/state/stopline")
STATE = Path(os.environ.get("STOPLINE_STATE", DEFAULT_STATE))
HISTORY = STATE / "releases.jsonl"
# 127.0.0.1:5000 is the registry scripts/deploy/registry.sh starts; on GitHub, ghcr.io/<owner>.
REGISTRY = os.environ.get("STOPLINE_REGISTRY", "127.0.0.1:5000")
REPOSITORY = f"{REGISTRY}/stopline"
DOOR_PORT = int(os.environ.get("STOPLINE_DOOR_PORT", "8080"))
FRONT_DOOR = f"http://127.0.0.1:{DOOR_PORT}"
FRONT_DOOR_CONTAINER = "stopline-frontdoor"
# deploy/frontdoor/haproxy.cfg finds the replicas as tasks.<SERVICE>; the stack names it <STACK>_service.
STACK = "stopline"
SERVICE = f"{STACK}_service"
REPLICAS = 2  # deploy/stack.yml's deploy.replicas (a lint test holds the two equal)
RELEASE_REPORT = ROOT / "reports" / "release.json"


def is_local(registry: str) -> bool:
    """Tell whether `registry` is one this machine runs (loopback, plain HTTP), not a remote one."""
    return registry.startswith(("127.", "localhost:"))


def local_tag() -> str:
    """Give the tag the build stage gives this commit's image: stopline:<sha>, -dirty for uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"stopline:{git('rev-parse', '--short=12', 'HEAD')}{'-dirty' if dirty else ''}"
