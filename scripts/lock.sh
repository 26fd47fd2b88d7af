#!/usr/bin/env bash
# Re-resolve the three dependency sets with hashes. The development set is
# resolved first; serving and training are constrained to its versions, so all
# three agree and the image gets exactly the versions the tests ran against.
set -euo pipefail
cd "$(dirname "$0")/../requirements"
uv=../.venv/bin/uv
compile() { "$uv" pip compile --quiet --python-version 3.11 --generate-hashes --no-header "$@"; }
compile dev.in -o dev.txt
for set in installer training serving; do
  compile -c dev.txt "$set.in" -o "$set.txt"
done
