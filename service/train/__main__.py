"""`python -m service.train`: validate the data, train, evaluate, export the bundle, and gate it.

Exit status: 0 when the bundle is written and passed the gate (it then carries
its gate record); 1 when the data, configuration or export is at fault (the
message names what, and nothing is left half-written), or when the bundle was
written but failed the gate (each failure is listed; it has no gate record,
so nothing serves it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from service.errors import StoplineError
from service.train.config import config_path, load_config
from service.train.gate import gate, write_gate_record
from service.train.run import DEFAULT_OUT, train


def main(argv: list[str] | None = None) -> int:
    """Give the exit status of one training run from the command line."""
    parser = argparse.ArgumentParser(prog="python -m service.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="project file (default: $STOPLINE_CONFIG or stopline.toml)")
    parser.add_argument("--data", type=Path, help="CSV to train on (default: the config's `data`)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="bundle directory (default %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    project = config_path(args.config)
    try:
        config = load_config(project)
        run = train(config, data=args.data, out=args.out)
        verdict = gate(run, config)
    except StoplineError as exc:
        print(f"training stopped: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # a champion that cannot be compared
        print(f"gate stopped: {exc}", file=sys.stderr)
        return 1
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in run.card.metrics.items()
                        if k in ("macro_f1", "accuracy", "rmse", "mae", "r2"))
    print(f"wrote {args.out}: {run.card.name} version {run.card.version}, holdout {metrics} "
          f"in {time.perf_counter() - started:.2f} s")
    if not verdict.passed:
        print(f"gate failed for {project}; {args.out} is not servable:", file=sys.stderr)
        for failure in verdict.failures:
            print(f"  - {failure}", file=sys.stderr)
        return 1
    write_gate_record(args.out, project, verdict)
    print(f"gate passed for {project}: {len(verdict.checks)} check(s); " + "; ".join(verdict.notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
