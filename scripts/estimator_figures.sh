#!/usr/bin/env bash
# The model stage's cost figures for every estimator of a project's task, as a Markdown table:
# training seconds, the training command's peak memory, single-row encode+ONNX latency.
# Each estimator runs the same model-stage tests on a copy of the project file with its [model]
# table replaced. artifacts/model is left holding the last one: retrain (make train) after.
#   scripts/estimator_figures.sh [project.toml]
set -euo pipefail
cd "$(dirname "$0")/.."
project="$(realpath "${1:-stopline.toml}")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
task="$(.venv/bin/python -c 'import sys; from service.train.config import load_config; print(load_config(sys.argv[1]).task)' "$project")"
case "$task" in
  classification) estimators="logistic_regression random_forest hist_gradient_boosting" ;;
  regression) estimators="ridge random_forest hist_gradient_boosting" ;;
esac
echo "| estimator | training s (in process) | training command s | peak RSS MB | single-row p50 ms | p99 ms |"
echo "|---|---:|---:|---:|---:|---:|"
for estimator in $estimators; do
  copy="$scratch/$estimator.toml"
  # The copy lives elsewhere: its data path is made absolute, its [model] table replaced.
  .venv/bin/python - "$project" "$copy" "$estimator" <<'PY'
import re, sys, tomllib
from pathlib import Path
source, copy, estimator = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
text = source.read_text(encoding="utf-8")
data = (source.parent / tomllib.loads(text)["data"]).resolve()
text = re.sub(r'(?m)^data = .*$', f'data = "{data}"', text, count=1)
text = re.sub(r'(?ms)^\[model\]\n.*?(?=^\[)', f'[model]\nestimator = "{estimator}"\n\n', text, count=1)
copy.write_text(text, encoding="utf-8")
PY
  STOPLINE_CONFIG="$copy" .venv/bin/pytest -q -m model --pipeline-reports "$scratch/$estimator" \
    tests/model/test_export.py tests/model/test_training_cost.py >"$scratch/$estimator.log" 2>&1 \
    || { cat "$scratch/$estimator.log" >&2; exit 1; }
  .venv/bin/python - "$scratch/$estimator/pipeline.json" "$estimator" <<'PY'
import json, sys
stage = next(s for s in json.load(open(sys.argv[1]))["stages"] if s["name"] == "model")
f = stage["figures"]
print(f"| {sys.argv[2]} | {f['training_seconds']} | {f['train_command_seconds']} | {f['train_peak_rss_mb']} "
      f"| {f['single_row_p50_ms']} | {f['single_row_p99_ms']} |")
PY
done
