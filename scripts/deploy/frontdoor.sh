#!/usr/bin/env bash
# Ensure the front door runs: HAProxy (deploy/frontdoor) on the stack's overlay network,
# published on 127.0.0.1:$STOPLINE_DOOR_PORT only (default 8080).
# Why a plain container, not a Swarm service: Swarm publishes host-mode ports on every
# interface and its routing mesh needs IPVS, which this kernel lacks; `docker run -p
# 127.0.0.1:…` binds loopback alone. The image is tagged with a hash of its files, so a
# changed config rebuilds and replaces it. Idempotent.
# Env: STOPLINE_DOOR_PORT, STOPLINE_BASE_IMAGE (the base the service image uses).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
"$here/swarm.sh" >/dev/null
docker=$("$here/../docker/docker-cmd.sh")
port=${STOPLINE_DOOR_PORT:-8080}
base=${STOPLINE_BASE_IMAGE:-stopline/python:3.11-bookworm}
network=${STOPLINE_NETWORK:-stopline}
name=stopline-frontdoor
digest=$(cat "$root/deploy/frontdoor/Dockerfile" "$root/deploy/frontdoor/haproxy.cfg" "$root/deploy/frontdoor/503.http" \
  | sha256sum | cut -c1-12)
image=stopline/frontdoor:$digest

running=$("$docker" inspect -f '{{.State.Running}} {{.Config.Image}} {{(index (index .HostConfig.PortBindings "8080/tcp") 0).HostPort}}' \
  "$name" 2>/dev/null || true)
if [ "$running" = "true $image $port" ]; then
  echo "front door: http://127.0.0.1:$port ($image)"; exit 0
fi

if ! "$docker" image inspect "$image" >/dev/null 2>&1; then
  "$here/../docker/base-image.sh" "$base" >/dev/null
  echo "frontdoor.sh: building $image from $base" >&2
  DOCKER_BUILDKIT=1 "$docker" build --quiet --build-arg "BASE=$base" --tag "$image" "$root/deploy/frontdoor" >/dev/null
fi
"$docker" rm --force "$name" >/dev/null 2>&1 || true
"$docker" run --detach --name "$name" --network "$network" --publish "127.0.0.1:$port:8080" \
  --restart unless-stopped --read-only --cap-drop ALL --security-opt no-new-privileges:true \
  --memory 128m --label dev.stopline.role=frontdoor "$image" >/dev/null
for _ in $(seq 50); do
  if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/door/health" 2>/dev/null; then
    echo "front door: http://127.0.0.1:$port ($image)"; exit 0
  fi
  sleep 0.2
done
"$docker" logs --tail 20 "$name" >&2 || true
echo "frontdoor.sh: the front door did not answer on 127.0.0.1:$port" >&2
exit 1
