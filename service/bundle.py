"""The model bundle: `model.onnx` plus `bundle.json`, written atomically, verified before use.

The manifest records a sha256 per file and a version derived from the model
bytes and the declared contract (schema, classes, params), so a changed byte
anywhere in what the service relies on is caught before anything is
deserialised.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from service.errors import BundleIntegrityError
from service.schema import InputSchema, Task

MANIFEST = "bundle.json"
MODEL_FILE = "model.onnx"


class BundleCard(BaseModel):
    """The manifest of a bundle: the model card the service publishes."""

    model_config = ConfigDict(extra="allow", frozen=True, protected_namespaces=())

    name: str
    version: str
    created_at: str
    git_sha: str
    data_sha256: str
    params: dict[str, Any]
    metrics: dict[str, Any]
    task: Task
    input_schema: InputSchema
    target: str
    classes: tuple[str, ...]  # empty for regression
    files: dict[str, str]

    @model_validator(mode="after")
    def _classes_fit_the_task(self) -> BundleCard:
        if self.task == "classification" and len(self.classes) < 2:
            raise ValueError("a classifier's card needs at least two classes")
        if self.task == "regression" and self.classes:
            raise ValueError("a regressor's card lists no classes")
        return self


class Bundle(BaseModel):
    """A verified bundle: its card and the model bytes it was verified with."""

    model_config = ConfigDict(frozen=True)

    path: Path
    card: BundleCard
    model_bytes: bytes
    digest: str


def sha256_bytes(data: bytes) -> str:
    """Give the hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def content_version(model_sha256: str, contract: dict[str, Any]) -> str:
    """Give a version derived from the model bytes and the contract it serves."""
    canonical = json.dumps(contract, sort_keys=True, separators=(",", ":"))
    return sha256_bytes(f"{model_sha256}\n{canonical}".encode())[:12]


def _contract(card: dict[str, Any]) -> dict[str, Any]:
    return {k: card[k] for k in ("name", "task", "input_schema", "target", "classes", "params")}


def write_bundle(out_dir: Path, model_bytes: bytes, card: dict[str, Any]) -> BundleCard:
    """Write a bundle to `out_dir` atomically and give its manifest.

    The bundle is assembled in a sibling temporary directory and renamed into
    place, so a reader never sees half a bundle and a failure leaves nothing.
    """
    model_sha = sha256_bytes(model_bytes)
    draft = BundleCard.model_validate(dict(card, version="", files={MODEL_FILE: model_sha}))
    manifest = draft.model_dump(mode="json")  # the very form a reader will parse
    manifest["version"] = content_version(model_sha, _contract(manifest))
    validated = BundleCard.model_validate(manifest)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the service may run as another user
    try:
        (staging / MODEL_FILE).write_bytes(model_bytes)
        text = json.dumps(manifest, indent=2, sort_keys=True)
        (staging / MANIFEST).write_text(text + "\n", encoding="utf-8")
        _replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return validated


def _replace_dir(new: Path, target: Path) -> None:
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old)
    else:
        os.replace(new, target)


def load_bundle(path: Path) -> Bundle:
    """Give the bundle at `path` once every file matches its checksum.

    Raises BundleIntegrityError naming the file that is missing, unreadable or
    changed; nothing but the manifest's JSON is parsed before the checks pass.
    """
    path = Path(path)
    manifest_path = path / MANIFEST
    try:
        raw = manifest_path.read_bytes()
        card = BundleCard.model_validate_json(raw)
    except FileNotFoundError:
        raise BundleIntegrityError(f"{manifest_path}: missing") from None
    except (OSError, ValidationError, UnicodeDecodeError) as exc:
        raise BundleIntegrityError(f"{manifest_path}: unreadable manifest: {exc}") from None
    if MODEL_FILE not in card.files:
        raise BundleIntegrityError(f"{manifest_path}: lists no {MODEL_FILE}")
    contents: dict[str, bytes] = {}
    for name, expected in sorted(card.files.items()):
        file_path = path / name
        if Path(name).name != name:
            raise BundleIntegrityError(f"{manifest_path}: file name {name!r} leaves the bundle")
        try:
            contents[name] = file_path.read_bytes()
        except OSError:
            raise BundleIntegrityError(f"{file_path}: missing or unreadable") from None
        actual = sha256_bytes(contents[name])
        if actual != expected:
            raise BundleIntegrityError(
                f"{file_path}: sha256 {actual} does not match the manifest's {expected}"
            )
    manifest_json = json.loads(raw)
    expected_version = content_version(card.files[MODEL_FILE], _contract(manifest_json))
    if card.version != expected_version:
        raise BundleIntegrityError(
            f"{manifest_path}: version {card.version} does not match its content ({expected_version})"
        )
    return Bundle(path=path, card=card, model_bytes=contents[MODEL_FILE], digest=sha256_bytes(raw))
