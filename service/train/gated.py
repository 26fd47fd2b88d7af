"""`python -m service.train.gated [BUNDLE]`: exit 0 when the bundle passed the gate for this project.

Otherwise exit 1 with a message saying what is missing and how to gate it:
`make serve` serves only a bundle that passes this check (and trains and
gates one when it does not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service.errors import StoplineError
from service.train.config import config_path
from service.train.gate import read_gate_record
from service.train.run import DEFAULT_OUT


def main(argv: list[str] | None = None) -> int:
    """Give 0 when the bundle carries a gate record for it and this project file, else 1."""
    parser = argparse.ArgumentParser(prog="python -m service.train.gated", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, nargs="?", default=DEFAULT_OUT, help="default %(default)s")
    parser.add_argument("--config", type=Path, help="project file (default: $STOPLINE_CONFIG or stopline.toml)")
    args = parser.parse_args(argv)
    try:
        record = read_gate_record(args.bundle, config_path(args.config))
    except StoplineError as exc:
        print(f"not servable: {exc}", file=sys.stderr)
        return 1
    print(f"{args.bundle}: {record['project']} version {record['model_version']} passed the gate "
          f"for {config_path(args.config)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
