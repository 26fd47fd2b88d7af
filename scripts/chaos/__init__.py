"""`make chaos`: what clients see when things go wrong under traffic, measured (docs/reliability.md).

context (what every scenario shares) → load (wrk, through scripts/bench/loadgen) → the
scenarios (stack_faults, container_faults, soak, …) → result (checks and verdicts) →
report (reports/reliability.md).
"""
