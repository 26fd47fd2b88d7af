#!/usr/bin/env bash
# Ensure a headless browser and its WebDriver for the smoke stage's /docs test;
# print their paths, the browser on the first line and the driver on the second.
# Why: CI starts on a clean machine. On Debian as root we install Debian's
# chromium + chromium-driver (the two are built from one source, so their versions
# always match, and nothing is downloaded at run time); anywhere else we fail and
# say what to install. Idempotent: returns at once when both are on PATH.
# Env: STOPLINE_CHROMIUM and STOPLINE_CHROMEDRIVER name binaries to use instead.
set -euo pipefail

die() { echo "browser.sh: $*" >&2; exit 1; }
find_bins() {
  # google-chrome and $CHROMEWEBDRIVER: what GitHub's Ubuntu runners come with.
  browser=${STOPLINE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome \
                                 || true)}
  driver=${STOPLINE_CHROMEDRIVER:-$(command -v chromedriver || echo "${CHROMEWEBDRIVER:+$CHROMEWEBDRIVER/chromedriver}")}
  [ -n "$browser" ] && [ -x "$browser" ] && [ -n "$driver" ] && [ -x "$driver" ]
}
report() { echo "$browser"; echo "$driver"; }

if find_bins; then report; exit 0; fi
[ -z "${STOPLINE_CHROMIUM:-}${STOPLINE_CHROMEDRIVER:-}" ] \
  || die "STOPLINE_CHROMIUM/STOPLINE_CHROMEDRIVER name no executable: '${browser}' '${driver}'"

# shellcheck source=/dev/null
. /etc/os-release 2>/dev/null || true
# Debian itself: Ubuntu's chromium packages are wrappers around a snap.
if [ "$(id -u)" != 0 ] || [ "${ID:-}" != debian ] || ! command -v apt-get >/dev/null; then
  die "no chromium and chromedriver on PATH; install them (Debian: apt-get install chromium chromium-driver)" \
      "or set STOPLINE_CHROMIUM and STOPLINE_CHROMEDRIVER, then rerun (automatic install only as root on Debian)"
fi

# One installer at a time (parallel CI jobs); the winner may have finished.
exec 9>/tmp/stopline-browser.lock
flock -w 300 9 || die "another browser.sh holds /tmp/stopline-browser.lock"
if find_bins; then report; exit 0; fi

pkgs=(chromium chromium-driver)
"$(dirname "$0")/apt-install.sh" "${pkgs[@]}" || die "could not install ${pkgs[*]}; install them, then rerun"
find_bins || die "installed ${pkgs[*]}, but chromium and chromedriver are still not on PATH"
report
