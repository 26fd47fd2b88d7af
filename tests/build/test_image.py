"""The image: built from the gated bundle, and within policy."""

import hashlib
from datetime import datetime

import pytest

from tests.containers import sh
from tests.paths import ROOT

pytestmark = pytest.mark.build

SIZE_BUDGET_MB = 200


@pytest.fixture(scope="module")
def config(docker, built_image):
    return docker.inspect(built_image["tag"])["Config"]


def run_in(docker, tag, *command, check=True):
    return docker("run", "--rm", "--network", "none", "--entrypoint", command[0], tag, *command[1:], check=check)


def test_the_build_made_a_new_image_under_the_tag(docker, built_image, record_property):
    record_property("image_build_seconds", built_image["seconds"])
    image = docker.inspect(built_image["tag"])  # the fixture removed the tag before building
    assert built_image["tag"] in image["RepoTags"]
    created = datetime.fromisoformat(image["Created"][:26].rstrip("Z") + "+00:00")
    assert created.timestamp() >= built_image["started_at"] - 1  # made by this build, not an older one


def test_the_image_ships_exactly_the_gated_bundle(docker, built_image, gated_bundle):
    shipped = run_in(docker, built_image["tag"], "cat", "/app/model/bundle.json").stdout.encode()
    assert hashlib.sha256(shipped).hexdigest() == gated_bundle["bundle_sha256"]
    assert shipped == (ROOT / "artifacts" / "model" / "bundle.json").read_bytes()


def test_the_service_runs_as_a_non_root_user(docker, built_image, config):
    assert config["User"] == "65532:65532"
    assert run_in(docker, built_image["tag"], "id", "-u").stdout.strip() == "65532"


def test_the_healthcheck_probes_readiness_without_curl(config):
    test = config["Healthcheck"]["Test"]
    assert test[0] == "CMD"
    assert test[1:3] == ["python", "-c"]
    assert "http://127.0.0.1:8000/health/ready" in test[3]


def test_the_command_is_exec_form_so_signals_reach_the_server(config):
    assert config["Entrypoint"] == ["python", "-m", "service"]
    assert config["Env"].count("STOPLINE_SERVICE_BUNDLE=/app/model") == 1


def test_labels_name_the_commit_the_model_and_the_bundle(config, gated_bundle):
    labels = config["Labels"]
    assert labels["org.opencontainers.image.revision"] == sh("git", "rev-parse", "HEAD").stdout.strip()
    assert labels["org.opencontainers.image.version"] == gated_bundle["model_version"]
    assert labels["dev.stopline.model.version"] == gated_bundle["model_version"]
    assert labels["dev.stopline.bundle.sha256"] == gated_bundle["bundle_sha256"]
    assert labels["org.opencontainers.image.created"].startswith("20")


@pytest.mark.parametrize("module", ["sklearn", "pandas", "skl2onnx", "onnx", "service.train", "pip"])
def test_no_training_library_is_inside(docker, built_image, module):
    done = run_in(docker, built_image["tag"], "python", "-c", f"import {module}", check=False)
    assert done.returncode == 1
    assert f"ModuleNotFoundError: No module named '{module}'" in done.stderr


def test_the_layers_over_the_base_fit_the_size_budget(docker, built_image, base_image, record_property):
    added = docker.inspect(built_image["tag"])["Size"] - docker.inspect(base_image)["Size"]
    added_mb = round(added / 1e6, 1)
    record_property("image_mb_over_base", added_mb)
    print(f"image adds {added_mb} MB over {base_image}")
    assert added_mb <= SIZE_BUDGET_MB
