#!/usr/bin/env bash
# Create .bench/mlserver-venv, the benchmark's peer: MLServer with its scikit-learn runtime (and
# matplotlib, for the chart), installed from its own lock with hashes. Does nothing when the venv
# already matches the lock.
#
#   scripts/bench/mlserver_env.sh          # create or sync the venv
#   scripts/bench/mlserver_env.sh --lock   # re-resolve mlserver-requirements.txt from the .in file
#
# The lock pins scikit-learn, joblib, numpy, scipy and threadpoolctl to the project's
# requirements/training.txt; the venv is refused when they drift apart, since MLServer must load
# the very pipeline the project fitted (a joblib pickle is only safe on the same scikit-learn).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.bench/mlserver-venv
spec=scripts/bench/mlserver-requirements.in
lock=scripts/bench/mlserver-requirements.txt
shared_pins() {  # the shared numerical stack's "name==version" lines from a lock file
  grep -E '^(scikit-learn|joblib|numpy|scipy|threadpoolctl)==' "$1" | sed 's/ *\\$//' | sort
}
[ -x .venv/bin/uv ] || { echo "mlserver_env: run 'make setup' first (it installs uv)" >&2; exit 1; }

if [ "${1:-}" = "--lock" ]; then
  constraints=$(mktemp)
  trap 'rm -f "$constraints"' EXIT
  shared_pins requirements/training.txt >"$constraints"
  .venv/bin/uv pip compile --quiet --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
    --generate-hashes --no-header --constraint "$constraints" "$spec" -o "$lock"
  echo "mlserver_env: wrote $lock" >&2
  exit 0
fi

if [ "$(shared_pins "$lock")" != "$(shared_pins requirements/training.txt)" ]; then
  echo "mlserver_env: $lock and requirements/training.txt pin different scikit-learn/numpy stacks;" \
       "run scripts/bench/mlserver_env.sh --lock" >&2
  exit 1
fi
stamp="$venv/.synced-$(sha256sum <"$lock" | cut -c1-16)"
[ -f "$stamp" ] && exit 0
[ -x "$venv/bin/python" ] || .venv/bin/python -m venv --without-pip "$venv"
.venv/bin/uv pip sync --quiet --python "$venv/bin/python" --require-hashes "$lock"
rm -f "$venv"/.synced-*
touch "$stamp"
echo "mlserver_env: $venv matches $lock" >&2
