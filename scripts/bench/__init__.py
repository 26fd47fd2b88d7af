"""`make bench`: stopline against MLServer on one machine, in one run, pinned to the same CPU.

prepare (bundle, joblib pipeline, request bodies) → servers (start, ready, RSS) →
loadgen (wrk with a Lua hook that counts every non-2xx) → report (medians, ratios,
targets) → chart. `scripts/bench/bench.sh` is the entry point; docs/bench.md the method.
"""
