#!/usr/bin/env bash
# Ensure a Python 3.11 base image exists locally: base-image.sh [TAG]
# Why: no container registry is reachable here, so `FROM python:3.11-slim` cannot be
# pulled. We try a short pull; failing that we debootstrap a minimal Debian bookworm
# (python3 = 3.11, python3-venv for venv+pip) from the mirror apt already uses and
# `docker import` it. Idempotent: returns at once when TAG exists.
set -euo pipefail

tag=${1:-stopline/python:3.11-bookworm}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "base-image.sh: $*" >&2; exit 1; }

"$here/engine.sh" >/dev/null || die "no Docker engine (see engine.sh's message above)"
docker=$("$here/docker-cmd.sh")

"$docker" image inspect "$tag" >/dev/null 2>&1 && exit 0

if timeout 20 "$docker" pull -q python:3.11-slim >/dev/null 2>&1; then
  "$docker" tag python:3.11-slim "$tag"
  echo "base-image.sh: $tag = python:3.11-slim (pulled)" >&2
  exit 0
fi
echo "base-image.sh: no registry; building $tag with debootstrap (takes a minute or two)" >&2

[ "$(id -u)" = 0 ] || die "building the base image needs root (debootstrap); run as root," \
                          "or load a Python 3.11 image with 'docker load' and tag it $tag"
if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || die "debootstrap is missing; install debootstrap, then rerun"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap \
    >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           --no-install-recommends debootstrap >/dev/null; } \
    || die "apt-get install debootstrap failed; install debootstrap, then rerun"
fi

# The Debian mirror apt already uses (deb822 .sources or one-line .list), else the default.
mirror=$(
  { cat /etc/apt/sources.list.d/*.sources 2>/dev/null; echo; } | awk '
    /^URIs:/ {u=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i=="bookworm") s=1}
    /^$/ {if (u!="" && s && !found) {print u; found=1} u=""; s=0}' || true
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1=="deb" && $0 ~ / bookworm / && $0 ~ /debian/ {
             for (i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' || true
)
mirror=$(echo "$mirror" | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d "${TMPDIR:-/var/tmp}/stopline-rootfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
start=$SECONDS
debootstrap --variant=minbase --components=main \
  --include=python3,python3-venv,python-is-python3,ca-certificates \
  bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap from $mirror failed"; }

# Trim what an image does not need; stale host files are replaced by Docker at run time.
rm -rf "${rootfs:?}"/var/lib/apt/lists/* "${rootfs:?}"/var/cache/apt/* "${rootfs:?}"/var/cache/debconf/*-old \
       "${rootfs:?}"/usr/share/doc/* "${rootfs:?}"/usr/share/man/* "${rootfs:?}"/usr/share/info/* \
       "${rootfs:?}"/var/log/* "${rootfs:?}"/tmp/* "${rootfs:?}"/var/tmp/* "${rootfs:?}"/dev/*
[ ! -d "$rootfs"/usr/share/locale ] || find "$rootfs"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
: >"$rootfs"/etc/resolv.conf; : >"$rootfs"/etc/hostname

tar --numeric-owner -C "$rootfs" -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'LABEL org.opencontainers.image.description="Debian bookworm minbase + python3 (3.11) + venv, debootstrap+import"' \
  --change 'CMD ["python3"]' - "$tag" >/dev/null

if ! "$docker" run --rm "$tag" sh -c \
     'python --version | grep -q "^Python 3\.11\." && python3 -m venv /tmp/v && /tmp/v/bin/pip --version' \
     >/dev/null; then
  "$docker" rmi "$tag" >/dev/null 2>&1 || true
  die "the built image failed its check (python 3.11, venv, pip)"
fi
size=$("$docker" image inspect -f '{{.Size}}' "$tag")
echo "base-image.sh: built $tag from $mirror in $((SECONDS - start)) s, $((size / 1000000)) MB" >&2
