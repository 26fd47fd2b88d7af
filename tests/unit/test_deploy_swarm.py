"""Reading Docker's answers: times with nanoseconds, and images only by digest."""

import pytest

from scripts.deploy.docker import DeployError
from scripts.deploy.swarm import digest_of, epoch

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
