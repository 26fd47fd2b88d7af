#!/usr/bin/env bash
# Ensure a Docker engine answers `docker info`.
# Why: CI starts on a clean machine with no engine and often no init system. On
# Debian/Ubuntu as root we install Debian's docker.io + docker-compose and start
# dockerd ourselves; anywhere else we fail and say what to install. Idempotent:
# returns at once when an engine already answers.
# Env: DOCKERD_FLAGS forces dockerd flags (else the first set that works is used),
#      DOCKERD_LOG (default /var/log/stopline-dockerd.log), DOCKER_WAIT (default 60 s).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=${DOCKERD_LOG:-/var/log/stopline-dockerd.log}
pidfile=/var/run/docker.pid          # dockerd writes its own pid here
wait_s=${DOCKER_WAIT:-60}

die() { echo "engine.sh: $*" >&2; exit 1; }
answers() {
  local d
  d=$("$here/docker-cmd.sh" 2>/dev/null) && timeout 10 "$d" info >/dev/null 2>&1
}
report() {
  echo "engine.sh: engine answers; docker client: $("$here/docker-cmd.sh")," \
       "compose: $("$here/compose-cmd.sh" 2>/dev/null || echo 'none found')"
}
alive() { [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
# Wait up to $1 s for the engine; fail early if the dockerd with pid $2 died.
wait_engine() {
  local end=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$end" ]; do
    answers && return 0
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
    sleep 0.5
  done
  return 1
}

if answers; then report; exit 0; fi

# --- install (Debian/Ubuntu, root only) ------------------------------------
# shellcheck source=/dev/null
. /etc/os-release 2>/dev/null || true
debianish=false
case " ${ID:-} ${ID_LIKE:-} " in *" debian "*|*" ubuntu "*) debianish=true ;; esac
if [ "$(id -u)" != 0 ] || [ "$debianish" != true ] || ! command -v apt-get >/dev/null; then
  if command -v dockerd >/dev/null || [ -x /usr/bin/docker ]; then
    die "Docker is installed but no engine answers 'docker info'; start it" \
        "(e.g. 'sudo systemctl start docker') and make sure you may use its socket, then rerun"
  fi
  die "no Docker engine; install Docker Engine and Compose, then rerun" \
      "(automatic install only as root on Debian/Ubuntu)"
fi

# One installer/starter at a time (parallel CI jobs); the winner may have finished.
exec 9>/tmp/stopline-docker-engine.lock
flock -w 180 9 || die "another engine.sh holds /tmp/stopline-docker-engine.lock"
if answers; then report; exit 0; fi

if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null \
   || [ ! -x /usr/bin/docker ]; then
  "$here/../apt-install.sh" docker.io docker-compose \
    || die "could not install docker.io and docker-compose; install Docker Engine and Compose, then rerun"
fi

# --- start ------------------------------------------------------------------
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl start docker || true
  wait_engine "$wait_s" && { report; exit 0; }
  die "systemctl start docker did not bring up an engine; see 'journalctl -u docker'"
fi

if alive; then   # a dockerd is already starting: give it the time, start no other
  wait_engine "$wait_s" "$(cat "$pidfile")" && { report; exit 0; }
  die "dockerd (pid $(cat "$pidfile")) runs but does not answer; see $log"
fi

# No init system: start dockerd ourselves. Defaults first (overlay2, iptables);
# the fallbacks cover kernels without iptables/NAT or without overlayfs.
if [ -n "${DOCKERD_FLAGS:-}" ]; then candidates=("$DOCKERD_FLAGS")
else candidates=("" "--iptables=false" "--iptables=false --storage-driver=vfs"); fi
end=$((SECONDS + wait_s))
for flags in "${candidates[@]}"; do
  left=$((end - SECONDS)); [ "$left" -gt 0 ] || break
  echo "engine.sh: starting dockerd ${flags:-(default flags)}; log: $log" >&2
  # shellcheck disable=SC2086  # flags are words on purpose
  setsid nohup dockerd $flags >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  if wait_engine "$left" "$pid"; then
    echo "engine.sh: dockerd pid $pid (pidfile $pidfile), flags: ${flags:-none}" >&2
    report; exit 0
  fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "engine.sh: dockerd ${flags:-(default flags)} failed:" >&2
  tail -n 3 "$log" >&2 || true
done
die "could not start dockerd within ${wait_s}s; see $log" \
    "(install Docker Engine and Compose, then rerun)"
