#!/usr/bin/env bash
# Create .venv with the locked development set (hashes required). Bootstraps
# the installer (uv, itself locked) with pip, then lets uv sync the rest.
# Does nothing when the venv already matches the lock files.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements/dev.txt
stamp=".venv/.synced-$(cat "$lock" requirements/installer.txt | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0
if [ -L .venv ]; then
  # A venv shared from another checkout (a git worktree's symlink, say) that does not match
  # this checkout's lock: syncing it would change the other checkout's environment under it.
  echo "setup: .venv is a symlink to $(readlink -f .venv); refusing to sync another checkout's venv." >&2
  echo "setup: remove the link to give this checkout its own venv, or run make there." >&2
  exit 1
fi

python="${PYTHON:-}"
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python="$candidate"
      break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "setup: Python 3.11 is required (python3.11 or python3); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
  -r requirements/installer.txt
.venv/bin/uv pip sync --quiet --python .venv/bin/python --require-hashes "$lock"
rm -f .venv/.synced-*
touch "$stamp"
echo "setup: .venv matches $lock"
