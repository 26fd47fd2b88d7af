"""The Kubernetes and KServe manifests, rendered for a digest and checked offline: schemas, policy, guarantees."""

import hashlib
import re
import shutil

import pytest
import yaml

from scripts.deploy import k8s
from scripts.deploy.k8s_policy import KSERVE_SCHEMA, KUBERNETES_VERSION, policy, validate
from service.settings import ServiceSettings
from tests.paths import ROOT

pytestmark = pytest.mark.lint

DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"ghcr.io/acme/stopline@{DIGEST}"
KUBERNETES = ["deployment.yaml", "hpa.yaml", "pdb.yaml", "service.yaml"]
ISVC = "kserve/inferenceservice.yaml"
VENDORED = KSERVE_SCHEMA.parent


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    out = tmp_path_factory.mktemp("k8s")
    k8s.write(k8s.render(IMAGE), out, IMAGE)
    return out


@pytest.fixture(scope="module")
def rendered(out) -> dict[str, dict]:
    return {p.relative_to(out).as_posix(): yaml.safe_load(p.read_text()) for p in sorted(out.rglob("*.yaml"))}


def render_with(tmp_path, template: str, old: str, new: str) -> dict[str, dict]:
    """Render a copy of the templates in which `template` has `old` replaced by `new`, as the faults do."""
    templates = tmp_path / "templates"
    shutil.copytree(k8s.TEMPLATES, templates)
    path = templates / template
    text = path.read_text()
    assert old in text, f"{template}: {old!r} not found"
    path.write_text(text.replace(old, new))
    return k8s.render(IMAGE, templates=templates)


def containers(manifest: dict) -> list[dict]:
    pod = manifest["spec"]["template"]["spec"] if manifest["kind"] == "Deployment" else manifest["spec"]["predictor"]
    return pod["containers"]


def test_every_template_is_rendered_and_the_inference_service_apart(rendered):
    assert sorted(rendered) == ["deployment.yaml", "hpa.yaml", ISVC, "pdb.yaml", "service.yaml"]
    assert sorted(p.name for p in k8s.TEMPLATES.glob("*.yaml")) == sorted(name.split("/")[-1] for name in rendered)


@pytest.mark.parametrize("name", KUBERNETES)
def test_each_manifest_validates_strictly_against_the_pinned_kubernetes(rendered, name):
    assert validate(name, rendered[name]) == []


def test_the_inference_service_validates_against_kserve_s_schema_made_strict(rendered):
    assert validate(ISVC, rendered[ISVC]) == []


@pytest.mark.parametrize("name", [*KUBERNETES, ISVC])
def test_the_policy_finds_nothing(rendered, name):
    assert policy(name, rendered[name]) == []


def test_the_rendered_files_run_the_digest_and_nothing_else(out, rendered):
    for path in out.rglob("*.yaml"):
        text = path.read_text()
        assert DIGEST in text and "latest" not in text and "${IMAGE}" not in text, path
    assert [c["image"] for name in ("deployment.yaml", ISVC) for c in containers(rendered[name])] == [IMAGE, IMAGE]
    for name, manifest in rendered.items():
        assert manifest["metadata"]["annotations"]["stopline.dev/digest"] == DIGEST, name


def test_the_deployment_replaces_pods_only_once_new_ones_are_ready_and_drains_before_stopping(rendered):
    deployment = rendered["deployment.yaml"]
    spec, pod = deployment["spec"], deployment["spec"]["template"]["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    (container,) = pod["containers"]
    assert container["lifecycle"]["preStop"] == {"exec": {"command": ["sleep", "5"]}}
    drain = ServiceSettings.model_fields["shutdown_grace_s"].default
    assert pod["terminationGracePeriodSeconds"] > 5 + drain, "the kubelet kills what outlives the grace period"
    assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                      "seccompProfile": {"type": "RuntimeDefault"}}
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"][0]["name"] == "tmp" and "emptyDir" in pod["volumes"][0]


def test_the_service_the_autoscaler_and_the_budget_all_find_the_deployment_s_pods(rendered):
    deployment = rendered["deployment.yaml"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service, hpa, pdb = rendered["service.yaml"], rendered["hpa.yaml"], rendered["pdb.yaml"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items() and pdb["spec"]["minAvailable"] == 1
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "stopline"}
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def test_the_inference_service_runs_the_same_container_as_the_deployment_and_says_v2(rendered):
    isvc = rendered[ISVC]
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    predictor, deployment = isvc["spec"]["predictor"], rendered["deployment.yaml"]["spec"]
    (container,) = predictor["containers"]
    (same,) = deployment["template"]["spec"]["containers"]
    assert container["name"] == "kserve-container"
    assert container["env"] == [{"name": "PROTOCOL", "value": "v2"}], "how KServe reads a custom container's protocol"
    for field in ("image", "ports", "startupProbe", "readinessProbe", "livenessProbe", "lifecycle", "resources",
                  "securityContext", "volumeMounts"):
        assert container[field] == same[field], field
    for field in ("securityContext", "terminationGracePeriodSeconds", "automountServiceAccountToken", "volumes"):
        assert predictor[field] == deployment["template"]["spec"][field], field
    assert predictor["deploymentStrategy"] == deployment["strategy"]
    assert predictor["minReplicas"] == deployment["replicas"]


def test_kserve_s_schema_is_vendored_with_its_source_its_checksum_and_its_licence():
    readme = (VENDORED / "README.md").read_text()
    assert "| tag | `v0.20.0` |" in readme
    assert "| commit | `1fb781055dd1567164358233e1125142ca6ef1fe` |" in readme
    assert "https://github.com/kserve/kserve" in readme
    assert hashlib.sha256(KSERVE_SCHEMA.read_bytes()).hexdigest() in readme, "the schema changed by hand"
    licence = (VENDORED / "LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    docs = (ROOT / "docs" / "kubernetes.md").read_text()
    assert f"Kubernetes {KUBERNETES_VERSION}" in docs and "KServe v0.20.0" in docs


# The checks can fail: each fault below is one a person makes, and each is reported by name.

def test_a_misspelled_field_in_the_deployment_fails_validation_naming_it(tmp_path):
    broken = render_with(tmp_path, "deployment.yaml", "readinessProbe:", "readinesProbe:")
    [problem] = validate("deployment.yaml", broken["deployment.yaml"])
    assert (problem.resource, problem.field) == ("Deployment/stopline", "spec.template.spec.containers[0]")
    assert problem.problem == ("Additional properties are not allowed ('readinesProbe' was unexpected) "
                               f"(Kubernetes {KUBERNETES_VERSION.rsplit('.', 1)[0]})")


def test_a_misspelled_field_in_the_inference_service_predictor_fails_validation_naming_it(tmp_path):
    broken = render_with(tmp_path, "inferenceservice.yaml", "    minReplicas: 2", "    minReplica: 2")
    assert [str(v) for v in validate(ISVC, broken[ISVC])] == [
        f"{ISVC}: InferenceService/stopline: spec.predictor: "
        "Additional properties are not allowed ('minReplica' was unexpected)"]
    # The field the brief first reached for: KServe has no protocolVersion for a custom predictor.
    broken = render_with(tmp_path / "again", "inferenceservice.yaml", "    minReplicas: 2",
                         "    minReplicas: 2\n    protocolVersion: v2")
    assert "'protocolVersion' was unexpected" in validate(ISVC, broken[ISVC])[0].problem


def test_a_latest_image_is_refused_by_the_policy(tmp_path):
    broken = render_with(tmp_path, "inferenceservice.yaml", "${IMAGE}", "ghcr.io/acme/stopline:latest")
    assert [str(v) for v in policy(ISVC, broken[ISVC])] == [
        f"{ISVC}: InferenceService/stopline: spec.predictor.containers[0].image: ghcr.io/acme/stopline:latest "
        "carries the tag latest: name it as name@sha256:<64 hex>, no tag needed"]


def test_a_missing_probe_is_refused_by_the_policy(tmp_path):
    broken = render_with(tmp_path, "deployment.yaml", "          livenessProbe:", "          notLiveness:")
    problems = [str(v) for v in policy("deployment.yaml", broken["deployment.yaml"])]
    assert problems == ["deployment.yaml: Deployment/stopline: spec.template.spec.containers[0].livenessProbe: missing"]


def test_a_directory_holding_other_files_is_never_emptied(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(k8s.Refused, match=re.escape(f"{tmp_path} holds files that are not rendered manifests")):
        k8s.write({}, tmp_path, IMAGE)
    assert (tmp_path / "notes.txt").read_text() == "mine"
