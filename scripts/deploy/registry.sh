#!/usr/bin/env bash
# Ensure the release registry answers on $STOPLINE_REGISTRY (default 127.0.0.1:5000).
# Why: the deploy stage pushes the verified image here and Swarm pulls it by digest. It is
# Debian's docker-registry with our own config (deploy/registry.yml: loopback, no auth,
# deletes on); Debian's shipped config turns auth on. Storage lives in the state
# directory, so releases outlive `make clean` and the checkout. Idempotent.
# Env: STOPLINE_REGISTRY (host:port), STOPLINE_STATE (default /var/lib/stopline, or
#      ~/.local/state/stopline when not root).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
addr=${STOPLINE_REGISTRY:-127.0.0.1:5000}
# Keep in step with scripts/deploy/settings.py.
if [ "$(id -u)" = 0 ]; then state=${STOPLINE_STATE:-/var/lib/stopline}
else state=${STOPLINE_STATE:-$HOME/.local/state/stopline}; fi
log=$state/registry.log

die() { echo "registry.sh: $*" >&2; exit 1; }
answers() { curl -fsS -o /dev/null --max-time 2 "http://$addr/v2/" 2>/dev/null; }

if answers; then echo "registry.sh: registry answers on $addr"; exit 0; fi
case $addr in 127.*:*|localhost:*) ;; *) die "STOPLINE_REGISTRY=$addr: only a loopback registry is started here" ;; esac

mkdir -p "$state/registry" || die "cannot create the state directory $state (set STOPLINE_STATE)"
exec 9>"$state/registry.lock"
flock -w 60 9 || die "another registry.sh holds $state/registry.lock"
if answers; then echo "registry.sh: registry answers on $addr"; exit 0; fi

if ! command -v docker-registry >/dev/null; then
  # As root, or with password-less sudo (a GitHub runner): Debian's and Ubuntu's package.
  if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else as_root=(none); fi
  [ "${as_root[*]}" != none ] && command -v apt-get >/dev/null \
    || die "no docker-registry; install Debian's docker-registry (or any CNCF distribution registry on $addr)"
  echo "registry.sh: installing docker-registry (apt)" >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry \
      >/dev/null 2>&1 \
    || { "${as_root[@]}" apt-get update -qq \
         && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
              docker-registry >/dev/null; } \
    || die "apt-get install docker-registry failed"
fi

# The config is copied into the state directory: the registry outlives this checkout.
cp "$root/deploy/registry.yml" "$state/registry.yml"
echo "registry.sh: starting docker-registry on $addr, storage $state/registry; log: $log" >&2
REGISTRY_HTTP_ADDR=$addr REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY=$state/registry \
  setsid nohup docker-registry serve "$state/registry.yml" >>"$log" 2>&1 </dev/null 9>&- &
pid=$!
for _ in $(seq 100); do
  # The pid is written once it answers: one that died at start (its port taken) leaves the file alone.
  if answers; then echo "$pid" >"$state/registry.pid"; echo "registry.sh: registry answers on $addr (pid $pid)"; exit 0; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
tail -n 5 "$log" >&2 || true
die "docker-registry did not answer on $addr; see $log"
