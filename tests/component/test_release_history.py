"""The release history: append-only, all or nothing, and what it says about earlier releases."""

import errno
import io
import json
import os

import pytest

from scripts.deploy import releases
from scripts.deploy.docker import DeployError
from scripts.deploy.releases import Entry, Outcome, Release, append, passed_here, previous, read, write_report

pytestmark = pytest.mark.component


def release(n: int) -> Release:
    digest = f"sha256:{n:064x}"
    return Release(digest=digest, image=f"127.0.0.1:5000/stopline@{digest}", git_sha=f"{n:040x}",
                   model_version=f"{n:012x}", bundle_sha256=f"{n + 100:064x}")


def entry(n: int, outcome: Outcome = Outcome.DEPLOYED, replaced: int | None = None) -> Entry:
    return Entry("2026-12-02T00:00:00+00:00", release(n), None if replaced is None else release(replaced).digest,
                 outcome, f"release {n}")


def test_entries_are_appended_in_order_and_read_back_whole(tmp_path):
    history = tmp_path / "state" / "releases.jsonl"
    assert read(history) == []
    written = [entry(1), entry(2, replaced=1), entry(3, Outcome.ROLLED_BACK, replaced=2)]
    for one in written:
        append(history, one)
    assert read(history) == written
    last = json.loads(history.read_text().splitlines()[2])  # one JSON object per line, as the contract says
    assert (last["outcome"], last["replaced"], last["digest"]) == (
        "rolled back automatically", release(2).digest, release(3).digest)
    assert [p.name for p in history.parent.iterdir()] == ["releases.jsonl"]  # no temporary file left


class FullDisk(io.BytesIO):
    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_write_that_fails_leaves_the_history_as_it_was_and_says_so(tmp_path, monkeypatch):
    history = tmp_path / "releases.jsonl"
    append(history, entry(1))
    before = history.read_bytes()
    real_fdopen = os.fdopen
    monkeypatch.setattr(releases.os, "fdopen", lambda fd, mode: (real_fdopen(fd, mode).close(), FullDisk())[1])
    with pytest.raises(DeployError, match=r"could not record the release in .*No space left on device.*unchanged"):
        append(history, entry(2, replaced=1))
    assert history.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["releases.jsonl"]


def test_a_damaged_history_is_refused_naming_the_line(tmp_path):
    history = tmp_path / "releases.jsonl"
    append(history, entry(1))
    with history.open("a") as out:
        out.write('{"time": "half an entry"\n')
    with pytest.raises(DeployError, match=r"releases.jsonl:2: not a release entry"):
        read(history)


def test_only_a_verified_deployment_counts_as_passed_here():
    history = [entry(1), entry(2, Outcome.ROLLED_BACK, replaced=1), entry(3, Outcome.REFUSED, replaced=1)]
    assert passed_here(history, release(1).digest) == release(1)
    assert passed_here(history, release(2).digest) is None
    assert passed_here(history, release(3).digest) is None
    assert passed_here(history, release(9).digest) is None


def test_the_previous_release_is_the_one_the_current_one_replaced():
    history = [entry(1), entry(2, replaced=1), entry(3, Outcome.REFUSED, replaced=2)]
    assert previous(history, release(2).digest) == release(1)
    assert previous(history, release(1).digest) is None  # the first release replaced nothing
    # Rolled back to 1 by command: going back again goes to 2, the one 1 replaced this time.
    history.append(entry(1, Outcome.ROLLED_BACK_BY_COMMAND, replaced=2))
    assert previous(history, release(1).digest) == release(2)
    # A redeploy of what already served replaced nothing new.
    history.append(entry(1, Outcome.DEPLOYED, replaced=1))
    assert previous(history, release(1).digest) == release(2)


def test_the_release_report_names_what_serves_and_what_it_replaced(tmp_path):
    path = tmp_path / "reports" / "release.json"
    write_report(path, release(2), release(1), "http://127.0.0.1:8080")
    report = json.loads(path.read_text())
    assert set(report) == {"digest", "image", "git_sha", "model_version", "bundle_sha256", "url", "previous"}
    assert (report["digest"], report["url"]) == (release(2).digest, "http://127.0.0.1:8080")
    assert report["previous"]["digest"] == release(1).digest and "previous" not in report["previous"]
    write_report(path, release(1), None, "http://127.0.0.1:8080")
    assert json.loads(path.read_text())["previous"] is None
