"""What is deployed, and going back: `python -m scripts.deploy status|rollback|deploy|undeploy|push`.

The make targets status, rollback, deploy and undeploy call this; CI's build job
calls `push` to hand the image it built to the later jobs by digest. Only a digest
the history records as deployed (it passed the line here and was verified
where it ran) can be deployed again; anything else is refused and nothing
changes. Exit status: 0 done, 1 the rollout failed (and was undone), 2 refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

import httpx

from .docker import DeployError, docker, engine_answers, inspect, start_components, start_registry
from .release import conclude, serving_release
from .releases import Entry, Outcome, known, passed_here, previous, read
from .settings import FRONT_DOOR, HISTORY, RELEASE_REPORT, REPLICAS, SERVICE, local_tag
from .swarm import Serving, digest_of, push, remove, roll_out, running_tasks, serving
from .verify import VerificationError, wait_until_served


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    status = commands.add_parser("status", help="what runs, since when, healthy replicas, the last releases")
    status.add_argument("--json", action="store_true", help="print it as JSON")
    status.add_argument("--last", type=int, default=5, help="how many releases to list (default 5)")
    rollback = commands.add_parser("rollback", help="redeploy the release before this one and verify it")
    rollback.add_argument("--to", metavar="DIGEST", help="an older release instead (sha256:… or image@sha256:…)")
    deploy = commands.add_parser("deploy", help="redeploy a release from the history and verify it")
    deploy.add_argument("image", help="image@sha256:…, sha256:…, or a tag of an image that was deployed here")
    commands.add_parser("undeploy", help="remove the stack; the registry and the history stay")
    commands.add_parser("push", help="push this commit's image (the build stage's) to the registry; "
                                     "print it by digest")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            return show_status(args.json, args.last)
        if args.command == "undeploy":
            return undeploy()
        if args.command == "push":
            return push_this_commit()
        return redeploy(args)
    except DeployError as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1


def push_this_commit() -> int:
    """Push the image the build stage made for this commit; print the reference by digest it gives."""
    tag = local_tag()
    if tag.endswith("-dirty"):
        print(f"push: {tag}: the tree has uncommitted changes, so the image is no commit's", file=sys.stderr)
        return 2
    if docker("image", "inspect", tag, check=False).returncode != 0:
        print(f"push: no image {tag}: the build stage makes it (pytest -m 'model or build')", file=sys.stderr)
        return 2
    start_registry()
    print(push(tag).image)
    return 0


def show_status(as_json: bool, last: int) -> int:
    entries = read(HISTORY)
    now = serving() if engine_answers() else None
    report = status_report(now, entries, last)
    if as_json:
        print(json.dumps(report, indent=2))
        return 0
    if now is None:
        print(f"nothing deployed ({SERVICE} does not exist)")
    else:
        release = report["serving"]
        print(f"serving  {now.image}")
        print(f"model    {release.get('model_version') or '?'} (bundle {release.get('bundle_sha256', '?')[:12]}), "
              f"git {release.get('git_sha', '?')[:12]}")
        print(f"since    {now.updated_at}   last update: {now.update_state or 'none'} {now.update_message}")
        print(f"replicas {report['replicas_up']}/{REPLICAS} up")
    print(f"door     {FRONT_DOOR}  ({report['front_door']})")
    print(f"history  {HISTORY} ({len(entries)} entries); the last {min(last, len(entries))}:")
    for entry in entries[-last:]:
        print(f"  {entry.time}  {entry.release.digest[:19]}  {entry.release.model_version or '?':12}  "
              f"{entry.outcome}: {entry.reason}")
    return 0


def status_report(now: Serving | None, entries: list[Entry], last: int) -> dict[str, Any]:
    release = None
    if now is not None:
        found = known(entries, now.digest)
        release = dataclasses.asdict(found) if found else {"digest": now.digest, "image": now.image}
        release |= {"since": now.updated_at, "update": now.update_state, "update_message": now.update_message}
    return {
        "serving": release,
        "replicas_up": running_tasks(now.image) if now else 0,
        "replicas_wanted": REPLICAS,
        "url": FRONT_DOOR,
        "front_door": door_state(),
        "releases": [e.to_json() for e in entries[-last:]],
    }


def door_state() -> str:
    try:
        answer = httpx.get(f"{FRONT_DOOR}/health/ready", timeout=2)
    except httpx.HTTPError as exc:
        return f"does not answer: {type(exc).__name__}"
    return "ready" if answer.status_code == 200 else f"/health/ready answers {answer.status_code}"


def digest_named(ref: str) -> str:
    """Give the digest an image reference names: image@sha256:…, sha256:…, or a local tag pushed here."""
    if ref.startswith("sha256:"):
        return ref
    if "@sha256:" in ref:
        return digest_of(ref)
    found = docker("image", "inspect", ref, check=False)
    if found.returncode != 0:
        raise DeployError(f"no image {ref} here; name a release by digest (make status lists them)")
    digests = inspect("image", "inspect", ref)[0].get("RepoDigests") or []
    if not digests:
        raise DeployError(f"{ref} was never pushed to a registry, so it never passed the line here")
    return digest_of(digests[0])


def redeploy(args: argparse.Namespace) -> int:
    entries = read(HISTORY)
    now = serving()
    before = serving_release(entries, now)
    if args.command == "rollback":
        if now is None:
            raise DeployError("nothing is deployed, so there is nothing to roll back")
        target = passed_here(entries, digest_named(args.to)) if args.to else previous(entries, now.digest)
        if target is None:
            missing = f"no release {args.to} was ever deployed here" if args.to else f"no earlier release in {HISTORY}"
            print(f"rollback: {missing}; nothing changed", file=sys.stderr)
            return 2
        success = Outcome.ROLLED_BACK_BY_COMMAND
    else:
        digest = digest_named(args.image)
        target = passed_here(entries, digest)
        if target is None:
            print(f"deploy: {args.image} ({digest}) never passed the line here: refused; nothing changed",
                  file=sys.stderr)
            return 2
        success = Outcome.REDEPLOYED_BY_COMMAND
    if now is not None and now.image == target.image:
        print(f"{args.command}: {target.image} already serves; nothing changed")
        return 0
    start_components()
    rollout = roll_out(target)
    failure = None if rollout.outcome == "completed" else rollout.message
    if failure is None:
        try:
            wait_until_served(FRONT_DOOR, target)
        except VerificationError as exc:
            failure = str(exc)
    entry = conclude(target, before, rollout, failure, success=success)
    print(f"{args.command}: {entry.outcome}: {target.image} (model {target.model_version}); {entry.reason}")
    if failure is None:
        print(f"{args.command}: {RELEASE_REPORT} says what serves; the front door is {FRONT_DOOR}")
    return 0 if failure is None else 1


def undeploy() -> int:
    if not engine_answers() or serving() is None:
        print("undeploy: nothing is deployed")
        return 0
    remove()
    RELEASE_REPORT.unlink(missing_ok=True)
    print(f"undeploy: removed {SERVICE}; the registry and {HISTORY} stay (make deploy IMAGE=… brings one back)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
