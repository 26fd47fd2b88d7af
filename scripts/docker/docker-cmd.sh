#!/usr/bin/env bash
# Print the docker client binary the project should use, builds included.
# Why: a newer client may sit first on PATH (/usr/local/bin/docker 28.x here) and
# route `docker build` to a buildx plugin that is not installed, so it cannot build.
# Debian's /usr/bin/docker (20.10) has BuildKit built in: build with DOCKER_BUILDKIT=1.
# Order: the PATH client if its buildx plugin works, else /usr/bin/docker, else the
# PATH client (legacy builder, DOCKER_BUILDKIT=0).
set -euo pipefail

path_docker=$(command -v docker || true)
if [ -n "$path_docker" ] && "$path_docker" buildx version >/dev/null 2>&1; then
  echo "$path_docker"
elif [ -x /usr/bin/docker ]; then
  echo /usr/bin/docker
elif [ -n "$path_docker" ]; then
  echo "$path_docker"
else
  echo "docker-cmd.sh: no docker client found; run scripts/docker/engine.sh" \
       "(Debian/Ubuntu: apt-get install docker.io) or install Docker Engine" >&2
  exit 1
fi
