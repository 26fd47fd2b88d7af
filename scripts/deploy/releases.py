"""The release history (append-only, in the state directory) and the current release report.

A release is one image digest and what it carries. Every deploy, rollback and
refusal appends one entry; nothing rewrites an old one. A write goes to a new
file beside the history, is flushed to disk, and replaces the history in one
rename, so a full disk or a crash leaves the history as it was, never half an
entry, and the error names what failed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from .docker import DeployError


class Outcome(StrEnum):
    DEPLOYED = "deployed"  # rolled out and verified through the front door
    ROLLED_BACK = "rolled back automatically"  # Swarm rolled the update back: a replica failed its health
    ROLLED_BACK_BY_COMMAND = "rolled back by command"  # make rollback put this earlier release back
    REDEPLOYED_BY_COMMAND = "redeployed by command"  # make deploy IMAGE=… put this release back
    REFUSED = "refused"  # rolled out but failed verification, or never converged; what ran before was put back


# The outcomes after which the entry's release is what serves.
SERVING_OUTCOMES = (Outcome.DEPLOYED, Outcome.ROLLED_BACK_BY_COMMAND, Outcome.REDEPLOYED_BY_COMMAND)


@dataclass(frozen=True)
class Release:
    """One image that passed (or is passing) the line, by digest, and the model it carries."""

    digest: str  # sha256:…, the registry's manifest digest
    image: str  # repository@digest, what the stack runs
    git_sha: str
    model_version: str
    bundle_sha256: str


@dataclass(frozen=True)
class Entry:
    time: str
    release: Release
    replaced: str | None  # the digest that served before, if any
    outcome: Outcome
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, **dataclasses.asdict(self.release), "replaced": self.replaced,
                "outcome": str(self.outcome), "reason": self.reason}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Entry:
        fields = {f.name for f in dataclasses.fields(Release)}
        return cls(time=data["time"], release=Release(**{k: data[k] for k in fields}), replaced=data["replaced"],
                   outcome=Outcome(data["outcome"]), reason=data["reason"])


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read(history: Path) -> list[Entry]:
    """Give the history's entries, oldest first; none when it does not exist yet."""
    try:
        lines = history.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for number, line in enumerate(lines, start=1):
        try:
            entries.append(Entry.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise DeployError(f"{history}:{number}: not a release entry ({exc}); the history is damaged") from None
    return entries


def append(history: Path, entry: Entry) -> None:
    """Add `entry` to the history, all or nothing; raise DeployError when it cannot be written."""
    line = json.dumps(entry.to_json(), sort_keys=True) + "\n"
    try:
        old = history.read_bytes() if history.exists() else b""
        write_atomically(history, old + line.encode())
    except OSError as exc:
        raise DeployError(f"could not record the release in {history}: {exc}; the history is unchanged") from exc


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename, after the bytes are on disk; leave no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def passed_here(entries: list[Entry], digest: str) -> Release | None:
    """Give the release with `digest` if it was ever deployed and verified here."""
    return next((e.release for e in reversed(entries) if e.release.digest == digest
                 and e.outcome is Outcome.DEPLOYED), None)


def known(entries: list[Entry], digest: str) -> Release | None:
    """Give what the history knows of `digest`, whatever became of it."""
    return next((e.release for e in reversed(entries) if e.release.digest == digest), None)


def previous(entries: list[Entry], current: str) -> Release | None:
    """Give the release that served before `current`: the one `current`'s latest rollout replaced."""
    for entry in reversed(entries):
        if (entry.release.digest == current and entry.outcome in SERVING_OUTCOMES
                and entry.replaced not in (None, current)):
            return known(entries, entry.replaced)
    return None


def write_report(path: Path, release: Release, before: Release | None, url: str) -> dict[str, Any]:
    """Write reports/release.json: the release that serves now, where, and the one it replaced."""
    report = {**dataclasses.asdict(release), "url": url,
              "previous": dataclasses.asdict(before) if before else None}
    write_atomically(path, (json.dumps(report, indent=2, sort_keys=True) + "\n").encode())
    return report
