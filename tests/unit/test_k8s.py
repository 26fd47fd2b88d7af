"""Rendering for Kubernetes without a file or a cluster: image references, substitution, strict schemas."""

import pytest

from scripts.deploy import k8s
from scripts.deploy.k8s_policy import dotted, strict
from scripts.deploy.swarm import reference_problem
from scripts.deploy.releases import Entry, Outcome, Release
from scripts.deploy.swarm import Serving

pytestmark = pytest.mark.unit

HEX = "0123456789abcdef" * 4
PINNED = "name it as name@sha256:<64 hex>"


@pytest.mark.parametrize("image", [
    f"127.0.0.1:5000/stopline@sha256:{HEX}",  # a registry's port is no tag
    f"ghcr.io/acme/stopline@sha256:{HEX}",
    f"ghcr.io/acme/stopline:v1@sha256:{HEX}",  # the digest decides; a tag beside it is only a name
])
def test_a_reference_pinned_by_digest_is_accepted_as_it_is(image):
    assert reference_problem(image) is None
    assert k8s.pinned(image) == image


@pytest.mark.parametrize(("image", "problem"), [
    ("ghcr.io/acme/stopline:v1", f"ghcr.io/acme/stopline:v1 is not pinned by digest: {PINNED}"),
    ("127.0.0.1:5000/stopline", f"127.0.0.1:5000/stopline is not pinned by digest: {PINNED}"),
    ("ghcr.io/acme/stopline:latest", f"ghcr.io/acme/stopline:latest carries the tag latest: {PINNED}, no tag needed"),
    (f"stopline:latest@sha256:{HEX}", f"stopline:latest@sha256:{HEX} carries the tag latest: {PINNED}, no tag needed"),
    ("stopline@sha256:abc123",
     "stopline@sha256:abc123: the digest must be sha256:<64 lowercase hex>, not 'sha256:abc123'"),
    (f"stopline@sha256:{HEX.upper()}",
     f"stopline@sha256:{HEX.upper()}: the digest must be sha256:<64 lowercase hex>, not 'sha256:{HEX.upper()}'"),
    (f"stopline@md5:{HEX[:32]}", f"stopline@md5:{HEX[:32]}: the digest must be sha256:<64 lowercase hex>, "
                                 f"not 'md5:{HEX[:32]}'"),
    (f"@sha256:{HEX}", f"@sha256:{HEX} names no repository: {PINNED}"),
])
def test_anything_else_is_refused_saying_what_is_wrong(image, problem):
    assert reference_problem(image) == problem
    with pytest.raises(k8s.Refused) as refused:
        k8s.pinned(image)
    assert str(refused.value) == problem


def test_the_image_is_replaced_in_the_tree_only_where_an_image_is_the_placeholder():
    template = {"spec": {"containers": [{"name": "a", "image": "${IMAGE}", "env": [{"value": "${IMAGE}"}]},
                                        {"name": "b", "image": "${IMAGE}"}],
                         "initContainers": [{"image": "busybox@sha256:" + HEX}]},
                "image": "${IMAGE} and more"}
    image = "r/s@sha256:" + HEX
    assert k8s.substitute(template, image) == {
        "spec": {"containers": [{"name": "a", "image": image, "env": [{"value": "${IMAGE}"}]},
                                {"name": "b", "image": image}],
                 "initContainers": [{"image": "busybox@sha256:" + HEX}]},
        "image": "${IMAGE} and more"}
    assert template["spec"]["containers"][0]["image"] == "${IMAGE}", "the template is left as it was"


def test_a_schema_made_strict_refuses_unknown_fields_only_where_it_lists_properties_and_allows_no_others():
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"a": {"type": "string"}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"b": {}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"c": {}}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"d": {}}}},
            "metadata": {"type": "object"},
            "data": {"type": "object", "default": {"properties": {}}, "properties": {"properties": {}}},
        },
    }
    original = repr(schema)
    assert strict(schema) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "spec": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"b": {}}},
            "list": {"type": "array",
                     "items": {"type": "object", "properties": {"c": {}}, "additionalProperties": False}},
            "map": {"type": "object",
                    "additionalProperties": {"type": "object", "properties": {"d": {}}, "additionalProperties": False}},
            "metadata": {"type": "object"},
            # A field named `properties` is a field, and a default is data: neither is walked as a schema.
            "data": {"type": "object", "default": {"properties": {}}, "properties": {"properties": {}},
                     "additionalProperties": False},
        },
    }
    assert repr(schema) == original, "the schema given is left as it was"


def test_a_schema_error_path_reads_as_kubectl_spells_fields():
    assert dotted(["spec", "template", "spec", "containers", 0, "image"]) == "spec.template.spec.containers[0].image"
    assert dotted([]) == ""


RELEASE = Release(digest="sha256:" + HEX, image="127.0.0.1:5000/stopline@sha256:" + HEX, git_sha="1" * 40,
                  model_version="ed39bc299ea8", bundle_sha256="2" * 64)


def test_each_resource_says_which_release_it_runs_and_the_deployment_its_pods_and_change_cause_too():
    notes = k8s.release_annotations(RELEASE.image, RELEASE)
    assert notes == {"stopline.dev/image": RELEASE.image, "stopline.dev/digest": RELEASE.digest,
                     "stopline.dev/git-sha": "1" * 40, "stopline.dev/model-version": "ed39bc299ea8",
                     "stopline.dev/bundle-sha256": "2" * 64}
    bare = {"stopline.dev/image": RELEASE.image, "stopline.dev/digest": RELEASE.digest}
    assert k8s.release_annotations(RELEASE.image, None) == bare
    deployment = {"kind": "Deployment", "metadata": {"name": "s", "annotations": {"mine": "kept"}},
                  "spec": {"template": {"spec": {}}}}
    annotated = k8s.annotate(deployment, notes)
    assert annotated["metadata"]["annotations"] == {
        "mine": "kept", "kubernetes.io/change-cause": f"release {RELEASE.image} (model ed39bc299ea8)", **notes}
    assert annotated["spec"]["template"]["metadata"]["annotations"] == notes
    assert k8s.annotate({"kind": "Service"}, notes) == {"kind": "Service", "metadata": {"annotations": notes}}
    assert "annotations" not in deployment["spec"]["template"].get("metadata", {}), "the template is left as it was"


def test_without_an_image_the_release_serving_here_is_rendered(monkeypatch):
    now = Serving(image=RELEASE.image, previous_image=None, update_state="completed", update_message="",
                  update_started=None, updated_at="")
    entry = Entry("2026-12-02T03:06:19+00:00", RELEASE, None, Outcome.DEPLOYED, "2 replicas run it")
    monkeypatch.setattr(k8s, "engine_answers", lambda: True)
    monkeypatch.setattr(k8s, "serving", lambda: now)
    monkeypatch.setattr(k8s, "read", lambda history: [entry])
    assert k8s.chosen(None) == (RELEASE.image, RELEASE)
    other = "ghcr.io/acme/stopline@sha256:" + HEX  # the same digest, copied to another registry
    assert k8s.chosen(other) == (other, RELEASE)


@pytest.mark.parametrize(("engine", "now", "said"), [
    (False, None, "no Docker engine answers, so no release serves here to render"),
    (True, None, "nothing is deployed here to render"),
])
def test_without_an_image_and_nothing_serving_the_render_is_refused(monkeypatch, capsys, engine, now, said):
    monkeypatch.setattr(k8s, "engine_answers", lambda: engine)
    monkeypatch.setattr(k8s, "serving", lambda: now)
    monkeypatch.setattr(k8s, "read", lambda history: [])
    assert k8s.main([]) == 2
    assert capsys.readouterr().err == (f"k8s: refused: {said}: pass IMAGE=ref@sha256:… "
                                       "(make status lists the releases)\n")


def test_a_tag_is_refused_with_exit_status_2_before_anything_is_read(monkeypatch, capsys):
    monkeypatch.setattr(k8s, "read", lambda history: pytest.fail("the history was read"))
    assert k8s.main(["--image", "ghcr.io/acme/stopline:latest"]) == 2
    assert capsys.readouterr().err == (f"k8s: refused: ghcr.io/acme/stopline:latest carries the tag latest: "
                                       f"{PINNED}, no tag needed\n")
