#!/usr/bin/env bash
# Install Debian packages for the project's scripts (engine.sh, browser.sh, bench.sh), as root.
#   scripts/apt-install.sh PACKAGE...
# Runs `apt-get update` only when the package lists do not know every package yet, and once more
# when an install fails (stale lists give 404s), then retries. Exit 1, naming the packages, on failure.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "apt-install.sh: name the packages to install" >&2; exit 2; }
die() { echo "apt-install.sh: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if apt-cache policy "$@" 2>/dev/null | grep -q 'Candidate: (none)' \
   || [ "$(apt-cache policy "$@" 2>/dev/null | grep -c 'Candidate:')" -lt "$#" ]; then
  apt-get update -qq || die "apt-get update failed"
fi
echo "apt-install.sh: installing $* (apt)" >&2
if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
fi
