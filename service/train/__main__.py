"""`python -m service.train`: validate the data, train, evaluate, export the bundle.

Exit status: 0 when the bundle is written, 1 when the data, configuration or
export is at fault (the message names what), and nothing is left half-written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from service.errors import StoplineError
from service.train.config import DEFAULT_CONFIG, load_config
from service.train.run import DEFAULT_OUT, train


def main(argv: list[str] | None = None) -> int:
    """Give the exit status of one training run from the command line."""
    parser = argparse.ArgumentParser(prog="python -m service.train", description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="project file (default %(default)s)")
    parser.add_argument("--data", type=Path, help="CSV to train on (default: the config's `data`)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="bundle directory (default %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        run = train(load_config(args.config), data=args.data, out=args.out)
    except StoplineError as exc:
        print(f"training stopped: {exc}", file=sys.stderr)
        return 1
    metrics = run.card.metrics
    print(
        f"wrote {args.out}: {run.card.name} version {run.card.version}, "
        f"holdout macro_f1 {metrics['macro_f1']:.4f} accuracy {metrics['accuracy']:.4f} "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
