#!/usr/bin/env bash
# `make chaos`: the reliability scenarios against the release `make pipeline` deployed (docs/reliability.md).
#
#   scripts/chaos/chaos.sh                 # every scenario, a 60 s soak: about 5 minutes
#   scripts/chaos/chaos.sh --soak 600      # a 10-minute soak (make chaos SOAK=600)
#   scripts/chaos/chaos.sh --only soak     # one scenario (arguments go to python -m scripts.chaos)
#
# Installs the load generators when missing (Debian's wrk and slowhttptest), then writes
# reports/reliability.json and reports/reliability.md. Exit status: 0 every scenario passed,
# 1 one failed, 2 nothing deployed to run against.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v wrk >/dev/null || ! command -v slowhttptest >/dev/null; then
  scripts/apt-install.sh wrk slowhttptest
fi
exec .venv/bin/python -m scripts.chaos "$@"
