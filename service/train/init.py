"""`python -m service.train.init`: draft a project file from a CSV, and say what a person should review.

Exit status: 0 when the file is written; 1 when the data is at fault or the
file exists (the message starts with the path at fault). Nothing is ever
half-written: the file appears whole, by rename, or not at all.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import cast

from service.schema import Task
from service.train.csv_text import DraftError, decode, read_table
from service.train.draft import CategoryColumn, Draft, draft
from service.train.draft_rules import GATE_NOTES, RANGE_NOTE, project_name
from service.train.draft_toml import render, toml_value

# The loader's default file, not imported from service.train.config: that would load
# scikit-learn (seconds) into a command that only reads a CSV.
DEFAULT_OUT = Path("stopline.toml")
SHOWN_CATEGORIES = 10  # the summary lists this many categories of a column, then counts the rest
IGNORED_NOTE = "  - ignored: a column listed there is no feature; remove it from ignored_columns if it is one"


class _Refused(Exception):
    """The command stops; the message is what the person reads."""


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a new file beside it, synced, then renamed over it."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # "x": created fresh, with the permissions the umask gives (not mkstemp's 0600).
        with open(temp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def relative_to_folder(data: Path, out: Path) -> str:
    """Give the path of `data` as seen from the folder of `out`, with forward slashes."""
    return Path(os.path.relpath(os.path.abspath(data), os.path.dirname(os.path.abspath(out)))).as_posix()


def _categories(column: CategoryColumn) -> str:
    shown = list(column.categories[:SHOWN_CATEGORIES])
    rest = len(column.categories) - len(shown)
    return f"{shown}" + (f" and {rest} more" if rest else "")


def summary(project: Draft, data: Path, columns: int) -> list[str]:
    """Give the lines that say what was inferred from `data` and what a person should review."""
    lines = [f"{data}: {project.rows} rows, {columns} columns",
             f"task: {project.task}, target {project.target!r}: {project.why}"]
    if project.target_seen is None:
        lines.append(f"classes: {list(project.classes)}")
    else:
        low, high, spread = project.target_seen
        lines.append(f"target range in the data: {low!r} to {high!r}, standard deviation {spread:.4g}")
    lines.append("features:")
    for column in project.features:
        nullable = ", nullable" if column.nullable else ""
        if isinstance(column, CategoryColumn):
            count = len(column.categories)
            lines.append(f"  {column.name!r}: category, {count} values {_categories(column)}{nullable}")
        else:
            lines.append(f"  {column.name!r}: number in [{column.min!r}, {column.max!r}] "
                         f"(data: {column.seen[0]!r} to {column.seen[1]!r}){nullable}")
    lines.append("ignored: " + ("; ".join(f"{name!r} ({why})" for name, why in project.ignored.items()) or "none"))
    gate = ", ".join(f"{key} = {toml_value(value)}" + (f" ({GATE_NOTES[key]})" if key in GATE_NOTES else "")
                     for key, value in project.gate.items())
    lines += ["review:", "  - " + " ".join(RANGE_NOTE),
              *(f"  - {name!r}: {note}" for name, note in project.flags),
              *([IGNORED_NOTE] if project.ignored else []),
              f"  - gate: {gate}: drafted defaults; set what the model must reach",
              f"  - checks: none declared; an example from row {project.example_row} is commented out "
              "at the end of the file"]
    return lines


def _draft(data: Path, target: str, task: Task | None) -> tuple[Draft, int]:
    try:
        raw = data.read_bytes()
    except OSError as exc:
        raise _Refused(f"{data}: cannot read the file: {exc.strerror}") from None
    try:
        table = read_table(decode(raw))
        return draft(table, target, task), len(table.header)
    except DraftError as exc:
        raise _Refused(f"{data}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    """Give the exit status of drafting one project file from the command line."""
    parser = argparse.ArgumentParser(prog="python -m service.train.init", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the CSV to draft from")
    parser.add_argument("--target", required=True, help="the column to predict, as the header writes it")
    parser.add_argument("--task", choices=("classification", "regression"), help="default: inferred from the target")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="project file to write (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace the project file if it exists")
    args = parser.parse_args(argv)
    data, out = cast(Path, args.data), cast(Path, args.out)
    try:
        if os.path.abspath(out) == os.path.abspath(data):
            raise _Refused(f"{out}: is the data file; choose another --out")
        if out.exists() and not args.force:
            raise _Refused(f"{out}: already exists; pass --force (make init FORCE=1) to replace it")
        project, columns = _draft(data, cast(str, args.target).strip(), cast("Task | None", args.task))
        text = render(project, project_name(data.stem), relative_to_folder(data, out))
        try:
            write_atomically(out, text)
        except OSError as exc:
            raise _Refused(f"{out}: cannot write the file: {exc.strerror}") from None
    except _Refused as exc:
        print(exc, file=sys.stderr)
        return 1
    print("\n".join(summary(project, data, columns)))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
