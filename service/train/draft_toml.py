"""Give a `Draft` as the text of a project file, with comments where a person should look.

The standard library reads TOML (tomllib) but cannot write it, and this file is
only strings, numbers and flat tables, so it is written here; `toml_string` is
the one place a name becomes TOML, and every name goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from service.train.draft import CategoryColumn, Draft, NumberColumn
from service.train.draft_rules import GATE_NOTES, RANGE_NOTE

TomlValue = str | float | int | bool
WIDTH = 100  # an array longer than this is written one item per line
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
SEED = 0
HOLDOUT_FRACTION = 0.25


def toml_string(text: str) -> str:
    """Give `text` as a TOML basic string: quotes, backslashes and control characters escaped."""
    # TOML forbids raw U+0000-U+001F (tab aside, escaped anyway) and U+007F; all else is written as is.
    escaped = (_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in text)
    return f'"{"".join(escaped)}"'


def toml_value(value: TomlValue) -> str:
    """Give a TOML literal for a string, float, integer or boolean."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    # A float's repr always has a "." or an "e" (25.0, 1e-05), so TOML reads a float back.
    return repr(value) if isinstance(value, float) else str(value)


def toml_array(values: Iterable[TomlValue]) -> str:
    """Give a TOML array, on one line when it fits in WIDTH, else one item per line."""
    items = [toml_value(v) for v in values]
    line = f"[{', '.join(items)}]"
    return line if len(line) <= WIDTH else "[\n" + "".join(f"    {item},\n" for item in items) + "]"


def inline_table(values: Mapping[str, TomlValue]) -> str:
    """Give a TOML inline table, every key quoted."""
    return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in values.items()) + " }"


def _feature(column: NumberColumn | CategoryColumn, notes: list[str]) -> list[str]:
    lines = ["", "[[schema.features]]", *(f"# review: {note}" for note in notes), f"name = {toml_string(column.name)}"]
    if isinstance(column, NumberColumn):
        lines += ['kind = "number"', f"min = {toml_value(column.min)}  # lowest in the data: {column.seen[0]!r}",
                  f"max = {toml_value(column.max)}  # highest in the data: {column.seen[1]!r}"]
    else:
        lines += ['kind = "category"', f"categories = {toml_array(column.categories)}"]
    return lines + (["nullable = true"] if column.nullable else [])


def _checks(draft: Draft) -> list[str]:
    """Give the commented-out example check: the first fully filled row, as the data has it."""
    record = f"row {draft.example_row}"
    example = [
        "[checks.records]",
        f"{toml_string(record)} = {inline_table(draft.example)}",
        "",
        "[[checks.minimum]]",
        f"name = {toml_string(f'{record} is predicted as in the data')}",
        f"record = {toml_string(record)}",
        *(f"{key} = {toml_value(value)}" for key, value in draft.example_check.items()),
    ]
    return ['# Behavioural checks (docs/project.md, "Checks"): none declared yet. An example from',
            f"# {record} of the data; uncomment it, adjust it and add your own.",
            *(f"# {line}".rstrip() for line in example)]


def render(draft: Draft, name: str, data: str) -> str:
    """Give the project file for `draft`, called `name`, reading `data` (a path relative to the file)."""
    notes: dict[str, list[str]] = {}
    for column, note in draft.flags:
        notes.setdefault(column, []).append(note)
    target = f"target = {toml_string(draft.target)}"
    if draft.target_seen is not None:
        low, high, spread = draft.target_seen
        target += f"  # in the data: {low!r} to {high!r}, standard deviation {spread:.4g}"
    lines = [
        "# Drafted from the data by `make init` (docs/project.md, \"Drafting\"): review it, then commit it.",
        *(f"# {line}" for line in RANGE_NOTE),
        '# The gate holds drafted defaults; "review:" comments mark what needs a person\'s eye.',
        "",
        f"name = {toml_string(name)}",
        f"data = {toml_string(data)}  # relative to this file",
        f"task = {toml_string(draft.task)}",
        *(f"# review: {note}" for note in notes.get(draft.target, [])),
        target,
        *([f"classes = {toml_array(draft.classes)}"] if draft.classes else []),
        f"missing_values = {toml_array(draft.missing_values)}  # cells that mean \"no value\"",
        *(f"# {toml_string(column)}: {why}" for column, why in draft.ignored.items()),
        f"ignored_columns = {toml_array(draft.ignored)}",
        f"seed = {SEED}  # every random choice takes it",
        f"holdout_fraction = {HOLDOUT_FRACTION}",
        "",
        "[model]",
        *(f"{key} = {toml_value(value)}" for key, value in draft.model.items()),
        "",
        "[gate]",
        *(f"{key} = {toml_value(value)}" + (f"  # {GATE_NOTES[key]}" if key in GATE_NOTES else "")
          for key, value in draft.gate.items()),
        "",
        "# Features, in the order of the file's columns. Ranges are plausibility bounds: a value",
        "# outside them is a data error in training and a 422 when serving.",
    ]
    for feature in draft.features:
        lines += _feature(feature, notes.get(feature.name, []))
    return "\n".join([*lines, "", *_checks(draft)]) + "\n"
