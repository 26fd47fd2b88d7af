"""Static checks of the delivery files: the stack, the front door, the registry config."""

import re

import pytest
import yaml

from scripts.deploy.settings import REPLICAS, SERVICE
from tests.paths import ROOT

from .test_static import TOOLS, run

pytestmark = pytest.mark.lint

DEPLOY = ROOT / "deploy"


@pytest.fixture(scope="module")
def service() -> dict:
    stack = yaml.safe_load((DEPLOY / "stack.yml").read_text())
    assert stack["version"] == "3.8", "Debian's 20.10 client deploys only what says 3.8"
    return stack["services"]["service"]


def test_the_front_door_dockerfile_passes_hadolint():
    done = run(str(TOOLS / "hadolint"), "deploy/frontdoor/Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_stack_file_matches_the_compose_specification():
    done = run(str(TOOLS / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "deploy/stack.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_stack_runs_a_digest_on_a_health_gated_rolling_update_with_automatic_rollback(service):
    assert service["image"].startswith("${STOPLINE_IMAGE:?"), "the image comes from the deploy, by digest"
    deploy = service["deploy"]
    assert deploy["replicas"] == REPLICAS
    assert deploy["endpoint_mode"] == "dnsrr", "no IPVS here: the front door resolves tasks.<service>"
    update, rollback = deploy["update_config"], deploy["rollback_config"]
    assert (update["order"], update["failure_action"]) == ("start-first", "rollback")
    assert update["monitor"] and rollback["monitor"] and rollback["order"] == "start-first"
    assert deploy["restart_policy"]["condition"] in ("any", "on-failure")
    assert "/health/ready" in " ".join(service["healthcheck"]["test"])
    assert set(deploy["resources"]["limits"]) == {"cpus", "memory"}


def test_the_stack_runs_locked_down_and_publishes_nothing(service):
    assert service["init"] is True, "Python as PID 1 ignores SIGTERM"
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    # stack deploy drops the short-form tmpfs without a word and ignores security_opt.
    assert "tmpfs" not in service and "security_opt" not in service
    assert {"type": "tmpfs", "target": "/tmp"}.items() <= service["volumes"][0].items()
    assert "ports" not in service, "only the front door publishes, and only on 127.0.0.1"


def test_the_front_door_finds_the_service_checks_readiness_and_retries():
    config = (DEPLOY / "frontdoor" / "haproxy.cfg").read_text()
    assert re.search(rf"^\s*server-template \S+ {REPLICAS * 2} tasks\.{SERVICE}:8000$", config, re.M)
    assert re.search(r"^\s*option httpchk GET /health/ready$", config, re.M)
    assert re.search(r"^\s*nameserver \S+ 127\.0\.0\.11:53$", config, re.M), "Swarm's DNS"
    assert re.search(r"^\s*retry-on .*\bconn-failure\b", config, re.M)
    assert re.search(r"^\s*option redispatch", config, re.M)
    assert re.search(r"^\s*option http-buffer-request$", config, re.M), "a retried POST needs its body"
    assert re.search(r"^\s*timeout client \d+s$", config, re.M)
    script = (ROOT / "scripts" / "deploy" / "frontdoor.sh").read_text()
    assert '--publish "127.0.0.1:$port:8080"' in script


def test_the_registry_listens_on_loopback_without_auth_and_allows_deletes():
    config = yaml.safe_load((DEPLOY / "registry.yml").read_text())
    assert config["http"]["addr"].startswith("127.0.0.1:")
    assert "auth" not in config
    assert config["storage"]["delete"]["enabled"] is True
