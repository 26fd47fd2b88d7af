"""Bundles are written whole or not at all, and a changed byte is caught before anything loads."""

import json
import os

import pytest

from service.bundle import MANIFEST, MODEL_FILE, load_bundle, sha256_bytes, write_bundle
from service.errors import BundleIntegrityError

pytestmark = pytest.mark.component

SCHEMA = {"features": [{"name": "x", "kind": "number", "min": 0.0, "max": 1.0}]}


def card(**changes):
    base = {
        "name": "toy",
        "created_at": "2026-01-01T00:00:00+00:00",
        "git_sha": "abc",
        "data_sha256": "0" * 64,
        "params": {"C": 1.0},
        "metrics": {"macro_f1": 1.0},
        "input_schema": SCHEMA,
        "target": "y",
        "classes": ["a", "b"],
    }
    return {**base, **changes}


@pytest.fixture
def bundle_dir(tmp_path):
    write_bundle(tmp_path / "model", b"onnx bytes", card())
    return tmp_path / "model"


def test_written_bundle_loads_with_checksums_and_content_version(bundle_dir):
    bundle = load_bundle(bundle_dir)
    assert bundle.model_bytes == b"onnx bytes"
    assert bundle.card.files == {MODEL_FILE: sha256_bytes(b"onnx bytes")}
    assert len(bundle.card.version) == 12
    assert bundle.digest == sha256_bytes((bundle_dir / MANIFEST).read_bytes())
    assert sorted(os.listdir(bundle_dir)) == [MANIFEST, MODEL_FILE]


def test_version_depends_on_content_not_on_time(tmp_path):
    first = write_bundle(tmp_path / "a", b"m", card())
    later = write_bundle(tmp_path / "b", b"m", card(created_at="2027-01-01T00:00:00+00:00", git_sha="def"))
    other_model = write_bundle(tmp_path / "c", b"m2", card())
    other_classes = write_bundle(tmp_path / "d", b"m", card(classes=["a", "c"]))
    assert first.version == later.version
    assert len({first.version, other_model.version, other_classes.version}) == 3


def test_rewriting_replaces_the_whole_bundle_and_leaves_no_staging(tmp_path):
    write_bundle(tmp_path / "model", b"old", card())
    write_bundle(tmp_path / "model", b"new", card())
    assert load_bundle(tmp_path / "model").model_bytes == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_changed_model_byte_is_named(bundle_dir):
    (bundle_dir / MODEL_FILE).write_bytes(b"onnx bytez")
    with pytest.raises(BundleIntegrityError, match=rf"{MODEL_FILE}: sha256 \w+ does not match the manifest's"):
        load_bundle(bundle_dir)


def test_a_missing_model_is_named(bundle_dir):
    (bundle_dir / MODEL_FILE).unlink()
    with pytest.raises(BundleIntegrityError, match=rf"{MODEL_FILE}: missing or unreadable"):
        load_bundle(bundle_dir)


def test_a_missing_manifest_is_named(bundle_dir):
    (bundle_dir / MANIFEST).unlink()
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: missing"):
        load_bundle(bundle_dir)


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"name": "toy"}', "\udcff"], ids=["syntax", "array", "fields", "bytes"]
)
def test_an_unreadable_manifest_is_named(bundle_dir, text):
    (bundle_dir / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: unreadable manifest"):
        load_bundle(bundle_dir)


def test_an_edited_contract_in_the_manifest_breaks_the_version(bundle_dir):
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["classes"] = ["b", "a"]  # same checksums, but labels would be swapped
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: version \w+ does not match its content"):
        load_bundle(bundle_dir)


def test_a_manifest_may_not_point_outside_the_bundle(bundle_dir):
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["files"]["../secret"] = "0" * 64
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match="file name '../secret' leaves the bundle"):
        load_bundle(bundle_dir)
