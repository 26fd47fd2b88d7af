"""What a client got wrong: named exceptions carrying problems, each naming its field.

Raised wherever a request is read or checked; `service.app.errors` turns each
into its HTTP answer in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

Loc = tuple[str | int, ...]


# Where a location starts: the part of the request it points into.
ROOTS = ("body", "path", "query", "header")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: where (`("body", "instances", 0, "sex")`; empty for the
    request as a whole), what, and its kind."""

    loc: Loc
    msg: str
    type: str
    # The label counted in the validation-failure metric; the metrics bound it to declared names.
    metric_field: str = "body"

    @property
    def field(self) -> str:
        """Give the location as a readable path: `instances[0].bill_length_mm`, `body`, or ``."""
        parts = self.loc[1:] if len(self.loc) > 1 and self.loc[0] in ROOTS else self.loc
        text = ""
        for part in parts:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def as_json(self) -> dict[str, object]:
        """Give the problem as the error body shows it."""
        return {"loc": list(self.loc), "field": self.field, "msg": self.msg, "type": self.type}


class ClientError(Exception):
    """A request the service refuses; `status` is its HTTP answer, `problems` says why."""

    status = 400

    def __init__(
        self, problems: Sequence[Problem], headers: dict[str, str] | None = None, status: int | None = None
    ) -> None:
        self.problems = tuple(problems)
        self.headers = headers or {}
        if status is not None:
            self.status = status
        super().__init__("; ".join(f"{p.field}: {p.msg}" for p in self.problems))


class BadBody(ClientError):
    """The body is not JSON the service can read: empty, not UTF-8, malformed or too deep."""

    status = 400


class InvalidRecords(ClientError):
    """The JSON is readable but breaks the request's schema."""

    status = 422


class BodyTooLarge(ClientError):
    """The body is over the configured limit."""

    status = 413


class UnsupportedMediaType(ClientError):
    """The body is declared as something other than JSON."""

    status = 415


class ModelNotFound(ClientError):
    """The URL names a model or version this service does not serve."""

    status = 404


class Unavailable(ClientError):
    """The service cannot answer now: not ready, or overloaded."""

    status = 503


def one(cls: type[ClientError], msg: str, type_: str, loc: Loc = ()) -> ClientError:
    """Give an error of `cls` with a single problem."""
    return cls([Problem(loc, msg, type_)])


def from_validation_error(exc: ValidationError, known_fields: Iterable[str]) -> InvalidRecords:
    """Give the pydantic errors as problems; the metric label is the last declared name in each path."""
    known = frozenset(known_fields) | TOP_LEVEL_FIELDS
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ("body", *error["loc"])
        named = [part for part in loc if isinstance(part, str) and part in known]
        problems.append(Problem(loc, error["msg"], error["type"], named[-1] if named else "body"))
    return InvalidRecords(problems)


# Top-level request keys the metric may name; anything a client invents counts as `body`.
TOP_LEVEL_FIELDS = frozenset({"instances", "inputs", "outputs", "id", "parameters"})
