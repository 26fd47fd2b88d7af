"""Domain errors, named for what went wrong; each maps to an exit code or HTTP answer in one place."""

from __future__ import annotations


class StoplineError(Exception):
    """Base of every error stopline raises on purpose."""


class DataValidationError(StoplineError):
    """The training data breaks the declared schema; `problems` lists each break."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: {len(problems)} problem(s) in the data\n{shown}{more}")


class BundleIntegrityError(StoplineError):
    """A model bundle is missing a file, or a file does not match its checksum."""


class ParityError(StoplineError):
    """The exported ONNX model does not reproduce the scikit-learn model."""
