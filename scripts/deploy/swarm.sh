#!/usr/bin/env bash
# Ensure the engine is a Swarm manager and the stack's overlay network exists.
# Why: the service runs as a Swarm stack (rolling updates, health-gated rollback).
# One node here: `swarm init` advertises on loopback. The network is attachable so
# the front door, a plain container, can join it and resolve tasks.<service>. Idempotent.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/../docker/engine.sh" >/dev/null
docker=$("$here/../docker/docker-cmd.sh")
network=${STOPLINE_NETWORK:-stopline}

state=$("$docker" info --format '{{.Swarm.LocalNodeState}}')
case $state in
  active) ;;
  inactive)
    echo "swarm.sh: swarm init on 127.0.0.1" >&2
    "$docker" swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377 >/dev/null ;;
  *) echo "swarm.sh: this node's swarm state is '$state'; resolve it (docker swarm leave --force?)" >&2; exit 1 ;;
esac
[ "$("$docker" info --format '{{.Swarm.ControlAvailable}}')" = true ] \
  || { echo "swarm.sh: this node is a swarm worker; run the deploy on a manager" >&2; exit 1; }

if ! "$docker" network inspect "$network" >/dev/null 2>&1; then
  "$docker" network create --driver overlay --attachable "$network" >/dev/null
  echo "swarm.sh: created the attachable overlay network $network" >&2
fi
echo "swarm.sh: swarm active, network $network"
