#!/usr/bin/env bash
# Download the locked serving wheels into build/wheels for the image build.
# Inside `docker build` PyPI is not reachable through the host's trust store,
# so the image installs from this folder with --no-index; hashes are checked
# here and again inside the build. Targets CPython 3.11 on glibc x86_64
# (bookworm's glibc 2.36 covers manylinux_2_28).
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/wheels
stamp="$out/.lock-$(sha256sum requirements/serving.txt | cut -c1-16)"
[ -f "$stamp" ] && exit 0
rm -rf "$out"
mkdir -p "$out"
PIP_CONFIG_FILE=/dev/null .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
  --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
  -r requirements/serving.txt -d "$out"
touch "$stamp"
echo "wheelhouse: $(find "$out" -name '*.whl' | wc -l) wheels in $out"
