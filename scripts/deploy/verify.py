"""Verify a release where it runs: through the front door, as a client sees it."""

from __future__ import annotations

import time

import httpx

from .docker import DeployError
from .releases import Release

# Round robin alternates the replicas: this many answers in a row, all from the release, cover both.
AGREEING_ANSWERS = 6


class VerificationError(DeployError):
    """The release runs but does not answer as the release it should be."""


def wait_until_served(url: str, release: Release, timeout: float = 30) -> float:
    """Wait until the front door answers ready and every replica it reaches serves `release`'s bundle.

    Gives the seconds it took; raises VerificationError naming the last problem seen.
    """
    started = time.monotonic()
    agreeing, problem = 0, "no answer yet"
    answer: str | None
    with httpx.Client(base_url=url, timeout=2) as client:
        while time.monotonic() - started < timeout:
            answer = release_problem(client, release)
            agreeing = 0 if answer else agreeing + 1
            problem = answer or problem
            if agreeing >= AGREEING_ANSWERS:
                return round(time.monotonic() - started, 2)
            time.sleep(0.25 if answer else 0.05)
    raise VerificationError(f"through the front door {url}, for {timeout:g} s: {problem}")


def release_problem(client: httpx.Client, release: Release) -> str | None:
    """Give what is wrong with one answer of the front door for `release`, or None."""
    try:
        ready = client.get("/health/ready")
        if ready.status_code != 200:
            return f"/health/ready answered {ready.status_code}"
        card = client.get("/metadata").json()
    except (httpx.HTTPError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    if card.get("bundle_sha256") != release.bundle_sha256:
        return f"/metadata bundle_sha256 is {card.get('bundle_sha256')}, the release's is {release.bundle_sha256}"
    if card.get("version") != release.model_version:
        return f"/metadata version is {card.get('version')}, the release's is {release.model_version}"
    return None
