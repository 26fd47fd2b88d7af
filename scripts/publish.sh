#!/usr/bin/env bash
# Publish the verified image: tag it `stopline:verified` and write a summary.
# Refuses unless the last pipeline run passed every stage for this commit, so
# nothing is published that the gate did not verify. (With a registry, the
# push would go here.)
set -euo pipefail
cd "$(dirname "$0")/.."

report=reports/pipeline.json
[ -f "$report" ] || { echo "publish: no $report; run make pipeline first" >&2; exit 1; }
docker=$(scripts/docker/docker-cmd.sh)
image="stopline:$(git rev-parse --short=12 HEAD)"
.venv/bin/python - "$report" "$(git rev-parse HEAD)" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
stages = {s["name"]: s["status"] for s in report["stages"]}
every = ["lint", "unit", "component", "model", "build", "smoke"]
if report["status"] != "passed" or [stages.get(s) for s in every] != ["passed"] * 6:
    sys.exit(f"publish: the last run did not pass every stage: {stages}")
if report["git_sha"] != sys.argv[2]:
    sys.exit(f"publish: the last run verified {report['git_sha']}, not HEAD {sys.argv[2]}")
PY
"$docker" image inspect "$image" >/dev/null || { echo "publish: no image $image" >&2; exit 1; }
"$docker" tag "$image" stopline:verified
summary="published $image as stopline:verified (model $("$docker" image inspect -f '{{index .Config.Labels "dev.stopline.model.version"}}' "$image"))"
echo "$summary"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then echo "**$summary**" >>"$GITHUB_STEP_SUMMARY"; fi
