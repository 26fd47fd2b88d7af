"""Bundles are written whole or not at all, and a changed byte is caught before anything loads."""

import json
import os

import pytest

from service.bundle import MANIFEST, MODEL_FILE, load_bundle, sha256_bytes, write_bundle
from service.errors import BundleIntegrityError

pytestmark = pytest.mark.component

# Names as the fixture project writes them: spaces, parentheses, dashes, slashes.
SCHEMA = {"features": [{"name": "Flow Rate (l/min)", "kind": "number", "min": 0.0, "max": 250.0, "nullable": True},
                       {"name": "Pump Model", "kind": "category", "categories": ["A-100", "B 200", "C/300"]}]}


def card(**changes):
    base = {
        "name": "pumps",
        "created_at": "2026-01-01T00:00:00+00:00",
        "git_sha": "abc",
        "data_sha256": "0" * 64,
        "params": {"C": 1.0},
        "metrics": {"macro_f1": 1.0},
        "task": "classification",
        "input_schema": SCHEMA,
        "target": "Service Status",
        "classes": ["ok", "needs service"],
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
    other_classes = write_bundle(tmp_path / "d", b"m", card(classes=["ok", "replace now"]))
    other_task = write_bundle(tmp_path / "e", b"m", card(task="regression", classes=[], metrics={"r2": 1.0}))
    assert first.version == later.version
    assert len({first.version, other_model.version, other_classes.version, other_task.version}) == 4


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
    "text", ["{not json", "[]", '{"name": "pumps"}', "\udcff"], ids=["syntax", "array", "fields", "bytes"]
)
def test_an_unreadable_manifest_is_named(bundle_dir, text):
    (bundle_dir / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: unreadable manifest"):
        load_bundle(bundle_dir)


def test_an_edited_contract_in_the_manifest_breaks_the_version(bundle_dir):
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["classes"] = ["needs service", "ok"]  # same checksums, but labels would be swapped
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: version \w+ does not match its content"):
        load_bundle(bundle_dir)


def test_a_manifest_may_not_point_outside_the_bundle(bundle_dir):
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["files"]["../secret"] = "0" * 64
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match="file name '../secret' leaves the bundle"):
        load_bundle(bundle_dir)


def test_a_regression_bundle_round_trips_with_its_task_and_no_classes(tmp_path):
    written = write_bundle(tmp_path / "model", b"onnx bytes",
                           card(name="pump-hours", task="regression", target="Hours To Failure", classes=[],
                                params={"estimator": "ridge", "alpha": 1.0}, metrics={"rmse": 207.5, "r2": 0.86}))
    bundle = load_bundle(tmp_path / "model")
    assert bundle.card == written
    assert (bundle.card.task, bundle.card.target, bundle.card.classes) == ("regression", "Hours To Failure", ())
    assert bundle.card.input_schema.names == ("Flow Rate (l/min)", "Pump Model")
    manifest = json.loads((tmp_path / "model" / MANIFEST).read_text())
    assert (manifest["task"], manifest["classes"]) == ("regression", [])


def test_a_card_without_a_task_or_with_another_task_is_refused(tmp_path):
    with pytest.raises(ValueError, match="task\n  Field required"):
        write_bundle(tmp_path / "a", b"m", {k: v for k, v in card().items() if k != "task"})
    with pytest.raises(ValueError, match="task\n  Input should be 'classification' or 'regression'"):
        write_bundle(tmp_path / "b", b"m", card(task="clustering"))
    assert list(tmp_path.iterdir()) == []


def test_an_edited_task_in_the_manifest_is_refused(bundle_dir):
    manifest = json.loads((bundle_dir / MANIFEST).read_text())
    manifest["task"] = "regression"  # same checksums, but the outputs would be read as values
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match=f"(?s){MANIFEST}: unreadable manifest: .*a regressor's card"):
        load_bundle(bundle_dir)
    manifest.update(task="regression", classes=[])  # a consistent card, but not the one the version hashed
    (bundle_dir / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BundleIntegrityError, match=rf"{MANIFEST}: version \w+ does not match its content"):
        load_bundle(bundle_dir)
