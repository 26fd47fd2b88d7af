#!/usr/bin/env bash
# Print the Compose command to use: `docker compose` (v2 plugin, as on GitHub's
# runners) when it works, else Debian's `docker-compose` (v1, 1.29). Note: v1 has
# no `up --wait`, so callers should use `up --build -d` and poll health themselves.
set -euo pipefail

if docker compose version >/dev/null 2>&1; then
  echo "docker compose"
elif command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose"
else
  echo "compose-cmd.sh: no Docker Compose found; install the compose plugin" \
       "(docker compose) or Debian's docker-compose (apt-get install docker-compose)," \
       "or run scripts/docker/engine.sh as root on Debian/Ubuntu" >&2
  exit 1
fi
