"""Push, roll out, roll back and inspect the service on Docker Swarm, through the docker client.

Swarm's own verdict is read, not assumed: `docker stack deploy` exits 0 even
when the update it starts is rolled back (docker/cli#6752), so a rollout is
over only when the service's UpdateStatus says so and its running tasks carry
the image asked for.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .docker import DeployError, docker, inspect
from .releases import Release
from .settings import REGISTRY, REPLICAS, REPOSITORY, SERVICE, STACK, STACK_FILE, is_local

LABEL_GIT_SHA = "org.opencontainers.image.revision"
LABEL_MODEL_VERSION = "dev.stopline.model.version"
LABEL_BUNDLE_SHA256 = "dev.stopline.bundle.sha256"


@dataclass(frozen=True)
class Serving:
    """What the Swarm service runs now, as its spec says, and how its last update ended."""

    image: str
    previous_image: str | None
    update_state: str | None  # UpdateStatus.State: updating, completed, rollback_completed, paused, …
    update_message: str
    update_started: float | None  # epoch seconds
    updated_at: str

    @property
    def digest(self) -> str:
        return digest_of(self.image)


@dataclass(frozen=True)
class Rollout:
    outcome: str  # "completed", "rolled back" (by Swarm) or "failed"
    message: str
    seconds: float


def digest_of(image: str) -> str:
    if "@sha256:" not in image:
        raise DeployError(f"{image} is not referenced by digest")
    return image.rsplit("@", 1)[1]


# A reference by digest names one image for good; a tag can be moved after the image was verified.
DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
PINNED = "name it as name@sha256:<64 hex>"


def reference_problem(image: str) -> str | None:
    """Give what is wrong with `image` as a release's image reference, or None when it is pinned by digest."""
    name, at, digest = image.partition("@")
    _, colon, tag = name.rpartition("/")[2].partition(":")
    if colon and tag == "latest":
        return f"{image} carries the tag latest: {PINNED}, no tag needed"
    if not at:
        return f"{image} is not pinned by digest: {PINNED}"
    if not name:
        return f"{image} names no repository: {PINNED}"
    if not DIGEST.fullmatch(digest):
        return f"{image}: the digest must be sha256:<64 lowercase hex>, not {digest!r}"
    return None


def push(tag: str) -> Release:
    """Push the local image `tag` (stopline:<sha>) to the registry under the same tag; give the release
    by the digest the registry answered the push with."""
    name = tag.rsplit(":", 1)[1]
    remote = f"{REPOSITORY}:{name}"
    docker("tag", tag, remote)
    return release_from_labels(tag, pushed_digest(docker("push", remote, timeout=600).stdout))


def pushed_digest(said: str) -> str:
    """Give the digest `docker push` printed: the registry's answer to the manifest it was sent."""
    answered = re.search(rf"^\S+: digest: ({DIGEST.pattern}) size: \d+$", said, re.M)
    if answered is None:
        raise DeployError(f"docker push printed no digest: {said.strip()[-300:]}")
    return answered.group(1)


def registry_digest(reference: str) -> str:
    """Ask the registry itself which manifest digest `reference` (a tag or a digest) names.

    `docker manifest inspect` asks the registry, never the local engine, with the client's
    `docker login` credentials; plain HTTP is allowed only for a registry on this machine.
    """
    insecure = ["--insecure"] if is_local(REGISTRY) else []
    separator = "@" if reference.startswith("sha256:") else ":"
    ref = f"{REPOSITORY}{separator}{reference}"
    shown = json.loads(docker("manifest", "inspect", *insecure, "--verbose", ref, timeout=60).stdout)
    digest = (shown[0] if isinstance(shown, list) else shown).get("Descriptor", {}).get("digest", "")
    if not digest.startswith("sha256:"):
        raise DeployError(f"the registry {REGISTRY} gave no digest for {ref}")
    return str(digest)


def pull_if_absent(image: str) -> None:
    """Pull `image` from its registry unless the engine has it already."""
    if docker("image", "inspect", image, check=False).returncode != 0:
        docker("pull", image, timeout=600)


def release_of(image: str) -> Release:
    """Give the release an image reference names, from its labels (pulled from the registry if absent)."""
    pull_if_absent(image)
    return release_from_labels(image, digest_of(image))


def release_from_labels(image: str, digest: str) -> Release:
    labels = inspect("image", "inspect", image)[0]["Config"]["Labels"] or {}
    missing = [k for k in (LABEL_GIT_SHA, LABEL_MODEL_VERSION, LABEL_BUNDLE_SHA256) if not labels.get(k)]
    if missing:
        raise DeployError(f"{image} lacks the label(s) {', '.join(missing)}: it was not built by the line")
    return Release(digest=digest, image=f"{REPOSITORY}@{digest}", git_sha=labels[LABEL_GIT_SHA],
                   model_version=labels[LABEL_MODEL_VERSION], bundle_sha256=labels[LABEL_BUNDLE_SHA256])


def serving() -> Serving | None:
    """Give what the service runs now, or None when nothing is deployed."""
    done = docker("service", "inspect", SERVICE, check=False)
    if done.returncode != 0:
        said = (done.stderr + done.stdout).lower()
        # No such service, or an engine that is no Swarm manager: either way nothing is deployed here.
        if any(words in said for words in ("no such service", "not found", "not a swarm manager")):
            return None
        raise DeployError(f"docker service inspect {SERVICE}: {done.stderr.strip()}")
    info = json.loads(done.stdout)[0]
    status = info.get("UpdateStatus") or {}
    previous = (info.get("PreviousSpec") or {}).get("TaskTemplate", {}).get("ContainerSpec", {}).get("Image")
    return Serving(
        image=info["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
        previous_image=previous,
        update_state=status.get("State"),
        update_message=status.get("Message", ""),
        update_started=epoch(status["StartedAt"]) if status.get("StartedAt") else None,
        updated_at=info.get("UpdatedAt", ""),
    )


def epoch(stamp: str) -> float:
    """Give epoch seconds for Docker's RFC 3339 time with nanoseconds (2026-12-02T03:30:01.123456789Z)."""
    head, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(head + "+00:00").timestamp() + float(f"0.{fraction or 0}")


def running_tasks(image: str) -> int:
    """Give how many of the service's tasks run `image` and are up (healthy, where there is a healthcheck)."""
    ids = docker("service", "ps", SERVICE, "--quiet", "--filter", "desired-state=running").stdout.split()
    if not ids:
        return 0
    tasks = inspect("inspect", *ids)
    return sum(1 for t in tasks if t["Spec"]["ContainerSpec"]["Image"] == image
               and t["Status"]["State"] == "running")


def task_errors(image: str) -> str:
    """Give what Swarm recorded of the failed tasks of `image` (their exit codes, rejections)."""
    ids = docker("service", "ps", SERVICE, "--quiet").stdout.split()
    tasks = inspect("inspect", *ids) if ids else []
    errors = {t["Status"]["Err"] for t in tasks
              if t["Spec"]["ContainerSpec"]["Image"] == image and t["Status"].get("Err")}
    return "; ".join(sorted(errors))


def roll_out(release: Release, timeout: float = 120) -> Rollout:
    """Deploy the stack with `release`'s digest and wait for Swarm's verdict on the rollout."""
    started = time.time()
    # --with-registry-auth hands the client's `docker login` to the nodes (a private ghcr.io package).
    docker("stack", "deploy", "--compose-file", STACK_FILE, "--resolve-image", "never", "--with-registry-auth", STACK,
           env={"STOPLINE_IMAGE": release.image}, timeout=120)
    return wait_for_rollout(release.image, started, timeout=timeout)


def roll_back_spec(timeout: float = 120) -> Rollout:
    """Put back the service's previous spec (Swarm keeps one) and wait until it runs."""
    now = serving()
    if now is None or now.previous_image is None:
        raise DeployError(f"{SERVICE} has no previous spec to roll back to")
    started = time.time()
    docker("service", "rollback", "--detach", SERVICE, timeout=60)
    return wait_for_rollout(now.previous_image, started, timeout=timeout, rolling_back=True)


# A stack deploy that creates the service, or changes nothing, starts no update; one that
# changes the spec has an UpdateStatus within a second. Past this, no update means none is coming.
NO_UPDATE_AFTER_S = 3.0


def wait_for_rollout(image: str, started: float, timeout: float, rolling_back: bool = False) -> Rollout:
    """Wait until Swarm completes (or rolls back) what the deploy begun at `started` asked, or `timeout`."""
    deadline = started + timeout
    done_state = "rollback_completed" if rolling_back else "completed"
    state = "no update seen"
    while time.time() < deadline:
        now = serving()
        if now is None:
            raise DeployError(f"{SERVICE} disappeared during the rollout")
        elapsed = round(time.time() - started, 1)
        if now.update_started is not None and now.update_started >= started - 1:  # this deploy's update
            state = f"{now.update_state}: {now.update_message}"
            if now.update_state == "rollback_completed" and not rolling_back:
                return Rollout("rolled back", f"Swarm rolled {image} back ({now.update_message}); "
                               f"its tasks: {task_errors(image) or 'no error recorded'}", elapsed)
            if now.update_state in ("paused", "rollback_paused"):
                return Rollout("failed", f"the update paused: {now.update_message}", elapsed)
            if now.update_state == done_state and running_tasks(image) >= REPLICAS:
                return Rollout("completed", f"{REPLICAS} replicas run {image}", elapsed)
        elif elapsed >= NO_UPDATE_AFTER_S and now.image == image and running_tasks(image) >= REPLICAS:
            return Rollout("completed", f"{REPLICAS} replicas run {image}", elapsed)
        time.sleep(0.5)
    return Rollout("failed", f"not rolled out within {timeout:g} s ({state}; "
                   f"{running_tasks(image)} of {REPLICAS} replicas up)", round(time.time() - started, 1))


def remove() -> None:
    """Remove the stack and wait until its replicas are gone; the registry and the history stay."""
    docker("stack", "rm", STACK)
    deadline = time.time() + 60
    while time.time() < deadline:
        if not docker("ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={SERVICE}").stdout.strip():
            return
        time.sleep(0.5)
    raise DeployError(f"the replicas of {SERVICE} were still running 60 s after docker stack rm")


def extract_bundle(image: str, out: Path) -> Path:
    """Copy the bundle out of `image` (docker create + docker cp, nothing runs) into `out`; give its path."""
    pull_if_absent(image)
    container = docker("create", image).stdout.strip()
    try:
        shutil.rmtree(out, ignore_errors=True)
        docker("cp", f"{container}:/app/model", str(out))
    finally:
        docker("rm", "--force", container, check=False)
    return out
