#!/usr/bin/env bash
# Give this CI job its release registry, for the steps after this one.
#   under act (ACT=true): the local registry scripts/deploy/registry.sh starts
#     (STOPLINE_REGISTRY, default 127.0.0.1:5000); nothing to log in to.
#   on GitHub: ghcr.io/<owner>, logged in with the job's GITHUB_TOKEN, whose
#     `permissions:` decide what it may do (packages: write in the build job only).
# The registry goes to $GITHUB_ENV, so the later steps of the job push and pull there.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -n "${ACT:-}" ]; then
  echo "login.sh: under act: the local registry ${STOPLINE_REGISTRY:-127.0.0.1:5000}"
  exit 0
fi
: "${GITHUB_TOKEN:?login.sh: GITHUB_TOKEN is not set (the workflow passes secrets.GITHUB_TOKEN)}"
: "${GITHUB_ACTOR:?login.sh: GITHUB_ACTOR is not set: not a GitHub Actions job}"
: "${GITHUB_REPOSITORY_OWNER:?login.sh: GITHUB_REPOSITORY_OWNER is not set: not a GitHub Actions job}"
: "${GITHUB_ENV:?login.sh: GITHUB_ENV is not set: not a GitHub Actions job}"

scripts/docker/engine.sh >/dev/null
docker=$(scripts/docker/docker-cmd.sh)
printf '%s' "$GITHUB_TOKEN" | "$docker" login ghcr.io --username "$GITHUB_ACTOR" --password-stdin
# Image names are lower case; GitHub owners need not be.
registry=ghcr.io/${GITHUB_REPOSITORY_OWNER,,}
echo "STOPLINE_REGISTRY=$registry" >> "$GITHUB_ENV"
echo "login.sh: release registry $registry"
