"""Delivery logic without an engine: Docker's times, images only by digest, what a failed deploy undoes."""

import pytest

from scripts.deploy import release
from scripts.deploy.docker import DeployError
from scripts.deploy.releases import Release
from scripts.deploy.swarm import Serving, digest_of, epoch, pushed_digest

pytestmark = pytest.mark.unit


def test_docker_times_with_nanoseconds_read_as_epoch_seconds():
    assert epoch("1970-01-01T00:00:01.5Z") == 1.5
    assert epoch("2026-12-02T03:13:52.924959249Z") == pytest.approx(1796181232.924959249, abs=1e-6)
    assert epoch("2026-12-02T03:13:52Z") == 1796181232.0


def test_an_image_is_deployed_only_by_digest():
    digest = "sha256:" + "ab" * 32
    assert digest_of(f"127.0.0.1:5000/stopline@{digest}") == digest
    with pytest.raises(DeployError, match="is not referenced by digest"):
        digest_of("127.0.0.1:5000/stopline:latest")


def test_a_failed_deploy_that_changed_nothing_is_left_as_it_was(monkeypatch):
    # Swarm's previous spec is then older than what serves: rolling back to it would replace the wrong release.
    def refuse(*args):
        raise AssertionError("nothing may be rolled back or removed")

    before = Release(digest="sha256:" + "cd" * 32, image="r/stopline@sha256:" + "cd" * 32, git_sha="1" * 40,
                     model_version="0" * 12, bundle_sha256="2" * 64)
    still = Serving(image=before.image, previous_image="r/stopline@sha256:" + "ab" * 32, update_state=None,
                    update_message="", update_started=None, updated_at="")
    monkeypatch.setattr(release, "roll_back_spec", refuse)
    monkeypatch.setattr(release, "remove", refuse)
    monkeypatch.setattr(release, "serving", lambda: still)
    assert release.put_back(before) == f"{before.image} serves, as before"
    monkeypatch.setattr(release, "serving", lambda: None)
    assert release.put_back(None) == "nothing served before, and nothing serves"


def test_the_digest_is_read_from_the_registrys_answer_to_the_push():
    digest = "sha256:" + "ab" * 32
    said = ("The push refers to repository [127.0.0.1:5000/stopline]\n5f70bf18a086: Layer already exists\n"
            f"c0ffee123456: digest: {digest} size: 1570\n")
    assert pushed_digest(said) == digest
    with pytest.raises(DeployError, match="docker push printed no digest: .*Layer already exists"):
        pushed_digest("5f70bf18a086: Layer already exists\n")
