#!/usr/bin/env bash
# `make bench`: stopline against MLServer on this machine, in one run (see docs/bench.md).
#
#   scripts/bench/bench.sh                                  # 3 rounds x 10 s per scenario, ~11 minutes
#   scripts/bench/bench.sh --rounds 1 --seconds 3 --warmup 1   # a quick look (arguments go to run.py)
#
# Installs what is missing (Debian's wrk, the MLServer venv under .bench/), trains the bundle if
# there is none, then writes reports/bench.json, reports/bench.md and reports/bench.png.
# Exit status: run.py's (0 all targets met, 1 a target missed, 2 an invalid run), after the chart.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null; then
  scripts/apt-install.sh wrk util-linux  # util-linux for taskset
fi
scripts/bench/mlserver_env.sh

status=0
.venv/bin/python -m scripts.bench.run "$@" || status=$?
if [ -f reports/bench.json ]; then
  .bench/mlserver-venv/bin/python scripts/bench/chart.py reports/bench.json reports/bench.png
fi
exit "$status"
