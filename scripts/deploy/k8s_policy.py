"""The offline checks of rendered Kubernetes manifests: schema validation and the release policy.

Both give violations, each naming the file, the resource and the field, so the
lint stage and `python -m scripts.deploy.k8s` report every problem at once.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from .settings import ROOT
from .swarm import reference_problem

# One Kubernetes version for every manifest: the oldest minor the manifests promise to run on.
# kubernetes-validate 1.37.0 ships 1.28 to 1.37.
KUBERNETES_VERSION = "1.33.0"
# KServe v0.20.0's InferenceService schema, vendored verbatim (deploy/k8s/kserve/README.md).
KSERVE_SCHEMA = ROOT / "deploy" / "k8s" / "kserve" / "inferenceservice-v1beta1.schema.json"
KSERVE_KIND = ("serving.kserve.io/v1beta1", "InferenceService")
# Where each checked kind keeps its pod spec (KServe's predictor is a pod spec with extensions).
POD_SPECS = {"Deployment": ("spec", "template", "spec"), "InferenceService": ("spec", "predictor")}
PROBES = {"startupProbe": None, "readinessProbe": "/health/ready", "livenessProbe": "/health/live"}

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Violation:
    file: str
    resource: str  # Kind/name
    field: str  # dotted, list items as [i]
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.resource}: {self.field or '(document)'}: {self.problem}"


def resource_of(manifest: Manifest) -> str:
    return f"{manifest.get('kind', '?')}/{(manifest.get('metadata') or {}).get('name', '?')}"


def dotted(path: Any) -> str:
    """Give a schema error's path as kubectl spells fields: spec.containers[0].image."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def validate(file: str, manifest: Manifest) -> list[Violation]:
    """Give how `manifest` fails its schema: Kubernetes' own (strict) or KServe's vendored one (made strict)."""
    resource = resource_of(manifest)
    if (manifest.get("apiVersion"), manifest.get("kind")) == KSERVE_KIND:
        errors = sorted(kserve_validator().iter_errors(manifest), key=lambda e: list(map(str, e.absolute_path)))
        return [Violation(file, resource, dotted(e.absolute_path), e.message) for e in errors]
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [Violation(file, resource, dotted(exc.path), f"{exc.message} (Kubernetes {exc.version})")]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [Violation(file, resource, "apiVersion", str(exc.message))]
    return []


@functools.cache
def kserve_validator(path: Path = KSERVE_SCHEMA) -> Any:
    """Give the validator of KServe's schema made strict, built once: loading it takes most of the time."""
    schema = strict(json.loads(path.read_text(encoding="utf-8")))
    # A CRD's openAPIV3Schema is OpenAPI 3.0's subset of JSON Schema draft 4 (with x-kubernetes-* keywords,
    # which a validator ignores); the schema is KServe's own, so it is not checked again here.
    return jsonschema.Draft4Validator(schema)


def strict(schema: Any) -> Any:
    """Give `schema` refusing unknown fields where it lists properties and says nothing of others.

    The API server prunes unknown fields of a CRD silently, so a misspelled field would just vanish;
    offline, it is an error. Objects with additionalProperties (maps) or
    x-kubernetes-preserve-unknown-fields (free-form) keep accepting any key. The walk follows only
    subschemas (properties, items, additionalProperties), never data such as defaults or enums.
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if isinstance(schema.get("properties"), dict):
        out["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = strict(schema[key])
    return out


def policy(file: str, manifest: Manifest) -> list[Violation]:
    """Give how the pods `manifest` runs break the release policy: digests, probes, resources, lock-down."""
    kind = manifest.get("kind", "")
    if kind not in POD_SPECS:
        return []
    resource, where = resource_of(manifest), POD_SPECS[kind]
    pod: Any = manifest
    for key in where:
        pod = pod.get(key) if isinstance(pod, dict) else None
    if not isinstance(pod, dict) or not pod.get("containers"):
        return [Violation(file, resource, ".".join(where) + ".containers", "no containers")]
    found = []
    for group in ("initContainers", "containers"):
        for index, container in enumerate(pod.get(group) or []):
            at = f"{'.'.join(where)}.{group}[{index}]"
            found += [Violation(file, resource, field, problem)
                      for field, problem in container_problems(at, container, pod, group == "containers")]
    return found


def container_problems(at: str, container: Manifest, pod: Manifest, serves: bool) -> list[tuple[str, str]]:
    """Give (field, problem) for one container; a serving container needs probes and resources too."""
    problems = []
    image = container.get("image")
    problem = reference_problem(image) if isinstance(image, str) else "no image"
    if problem:
        problems.append((f"{at}.image", problem))
    if serves:
        problems += probe_problems(at, container) + resource_problems(at, container)
    return problems + security_problems(at, container, pod)


def probe_problems(at: str, container: Manifest) -> list[tuple[str, str]]:
    problems = []
    for probe, path in PROBES.items():
        if not isinstance(container.get(probe), dict):
            problems.append((f"{at}.{probe}", "missing"))
        elif path and (container[probe].get("httpGet") or {}).get("path") != path:
            problems.append((f"{at}.{probe}.httpGet.path", f"must be {path}"))
    return problems


def resource_problems(at: str, container: Manifest) -> list[tuple[str, str]]:
    resources = container.get("resources") or {}
    return [(f"{at}.resources.{bound}.{name}", "missing")
            for bound in ("requests", "limits") for name in ("cpu", "memory")
            if not (resources.get(bound) or {}).get(name)]


def security_problems(at: str, container: Manifest, pod: Manifest) -> list[tuple[str, str]]:
    own, shared = container.get("securityContext") or {}, pod.get("securityContext") or {}
    field = f"{at}.securityContext"
    problems = []
    # A container's setting overrides the pod's; either may carry these two.
    if own.get("runAsNonRoot", shared.get("runAsNonRoot")) is not True:
        problems.append((f"{field}.runAsNonRoot", "must be true (here or in the pod's securityContext)"))
    seccomp = (own.get("seccompProfile") or shared.get("seccompProfile") or {}).get("type")
    if seccomp != "RuntimeDefault":
        problems.append((f"{field}.seccompProfile.type", "must be RuntimeDefault (here or in the pod's)"))
    if own.get("readOnlyRootFilesystem") is not True:
        problems.append((f"{field}.readOnlyRootFilesystem", "must be true"))
    if own.get("allowPrivilegeEscalation") is not False:
        problems.append((f"{field}.allowPrivilegeEscalation", "must be false"))
    if "ALL" not in ((own.get("capabilities") or {}).get("drop") or []):
        problems.append((f"{field}.capabilities.drop", "must hold ALL"))
    return problems


def check(rendered: dict[str, Manifest]) -> list[Violation]:
    """Give every violation of every rendered manifest, schema first; none means they may be applied."""
    return [v for file, manifest in rendered.items() for v in validate(file, manifest) + policy(file, manifest)]
