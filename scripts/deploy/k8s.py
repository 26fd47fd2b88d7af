"""Render the Kubernetes and KServe manifests for a release: `python -m scripts.deploy.k8s [--image REF] [--out DIR]`.

`make k8s [IMAGE=ref@sha256:…]` calls this. Every template under deploy/k8s/
names its image `${IMAGE}`; rendering loads the YAML, replaces that value with
the release's digest-pinned reference, annotates each resource with the
release, checks the result (k8s_policy: schemas and policy) and writes it to
build/k8s/ (the InferenceService to build/k8s/kserve/, since only a cluster
running KServe accepts it). Without --image, the release the Swarm serves here.
Exit status: 0 written, 1 the manifests fail their checks (nothing written),
2 refused: the image is not pinned by digest, or carries the tag latest, or
no release serves here to default to.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from service.errors import StoplineError

from .docker import DeployError, engine_answers
from .k8s_policy import Manifest, check
from .release import serving_release
from .releases import Release, known, read
from .settings import HISTORY, ROOT
from .swarm import digest_of, reference_problem, serving

TEMPLATES = ROOT / "deploy" / "k8s"
OUT = ROOT / "build" / "k8s"
PLACEHOLDER = "${IMAGE}"
KSERVE_GROUP = "serving.kserve.io/"
ANNOTATION = "stopline.dev"  # the image labels' dev.stopline.* namespace, as a Kubernetes key prefix


class Refused(StoplineError):
    """The release asked for cannot be rendered; the message says why and what to pass instead."""


class ManifestsInvalid(StoplineError):
    """The rendered manifests fail their schema or the policy; the message lists every violation."""


def pinned(image: str) -> str:
    """Give `image` when it is pinned by digest and not tagged latest; raise Refused saying what is wrong."""
    problem = reference_problem(image)
    if problem:
        raise Refused(problem)
    return image


def substitute(node: Any, image: str) -> Any:
    """Give a copy of the YAML tree `node` with the value of every `image: ${IMAGE}` set to `image`."""
    if isinstance(node, list):
        return [substitute(item, image) for item in node]
    if isinstance(node, dict):
        return {key: image if key == "image" and value == PLACEHOLDER else substitute(value, image)
                for key, value in node.items()}
    return node


def release_annotations(image: str, release: Release | None) -> dict[str, str]:
    """Give the annotations that say which release a resource runs: always the digest, the rest when known."""
    notes = {f"{ANNOTATION}/image": image, f"{ANNOTATION}/digest": digest_of(image)}
    if release is not None:
        notes |= {f"{ANNOTATION}/git-sha": release.git_sha, f"{ANNOTATION}/model-version": release.model_version,
                  f"{ANNOTATION}/bundle-sha256": release.bundle_sha256}
    return notes


def annotate(manifest: Manifest, notes: dict[str, str]) -> Manifest:
    """Give `manifest` with `notes` on the resource and, for a Deployment, on its pods."""
    out = copy.deepcopy(manifest)
    targets = [out.setdefault("metadata", {})]
    if out.get("kind") == "Deployment":
        targets.append(out["spec"]["template"].setdefault("metadata", {}))
        # `kubectl rollout history deployment/stopline` then lists each revision by its release.
        out["metadata"].setdefault("annotations", {})["kubernetes.io/change-cause"] = change_cause(notes)
    for metadata in targets:
        metadata["annotations"] = {**(metadata.get("annotations") or {}), **notes}
    return out


def change_cause(notes: dict[str, str]) -> str:
    model = notes.get(f"{ANNOTATION}/model-version")
    return f"release {notes[f'{ANNOTATION}/image']}" + (f" (model {model})" if model else "")


def render(image: str, release: Release | None = None, templates: Path = TEMPLATES) -> dict[str, Manifest]:
    """Give every template under `templates` rendered for `image`, by the path it is written to in the out dir."""
    notes = release_annotations(pinned(image), release)
    rendered = {}
    for template in sorted(templates.glob("*.yaml")):
        try:
            manifest = substitute(yaml.safe_load(template.read_text(encoding="utf-8")), image)
        except yaml.YAMLError as exc:  # a syntax error, or a second document: one resource per file
            raise ManifestsInvalid(f"{template}: {exc}") from None
        if not isinstance(manifest, dict):
            raise ManifestsInvalid(f"{template}: not one Kubernetes resource")
        where = "kserve/" if str(manifest.get("apiVersion", "")).startswith(KSERVE_GROUP) else ""
        rendered[where + template.name] = annotate(manifest, notes)
    return rendered


def write(rendered: dict[str, Manifest], out: Path, image: str) -> list[Path]:
    """Write the rendered manifests into `out`, emptied first of an earlier render; give the paths written."""
    if out.exists():
        strangers = [p for p in out.rglob("*") if p.is_file() and p.suffix != ".yaml"]
        if strangers:  # never empty a directory that holds more than manifests (--out . by mistake)
            raise Refused(f"{out} holds files that are not rendered manifests ({strangers[0]}): "
                          f"name an empty or new directory")
        shutil.rmtree(out)
    written = []
    for name, manifest in rendered.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        header = f"# Rendered for {image} by python -m scripts.deploy.k8s from deploy/k8s/{path.name}: edit that.\n"
        path.write_text(header + yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def current_release() -> Release:
    """Give the release the Swarm serves here, as `make status` knows it; raise Refused when none does."""
    advice = "pass IMAGE=ref@sha256:… (make status lists the releases)"
    if not engine_answers():
        raise Refused(f"no Docker engine answers, so no release serves here to render: {advice}")
    release = serving_release(read(HISTORY), serving())
    if release is None:
        raise Refused(f"nothing is deployed here to render: {advice}")
    return release


def chosen(image: str | None) -> tuple[str, Release | None]:
    """Give the image to render and what the release history knows of it: `image`, or what serves here."""
    if image is None:
        release = current_release()
        return pinned(release.image), release
    return pinned(image), known(read(HISTORY), digest_of(image))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy.k8s", description=__doc__.splitlines()[0])
    parser.add_argument("--image", help="name@sha256:… (default: the release the Swarm serves here)")
    parser.add_argument("--out", type=Path, default=OUT, help="directory to write into (default: build/k8s)")
    args = parser.parse_args(argv)
    try:
        image, release = chosen(args.image)
        rendered = render(image, release)
        violations = check(rendered)
        if violations:
            raise ManifestsInvalid("the rendered manifests fail their checks:\n  " + "\n  ".join(map(str, violations)))
        written = write(rendered, args.out, image)
    except Refused as exc:
        print(f"k8s: refused: {exc}", file=sys.stderr)
        return 2
    except (ManifestsInvalid, DeployError) as exc:
        print(f"k8s: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"k8s: {image}: kubectl apply -f {args.out}/ (or, on KServe, kubectl apply -f {args.out}/kserve/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
