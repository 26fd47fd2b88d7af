"""How a rollout ends: verified and recorded, or put back to what served before and recorded as such.

The deploy stage and the make targets both end a rollout here, so a release is
recorded, and a failed one undone, one way only.
"""

from __future__ import annotations

from .releases import Entry, Outcome, Release, append, known, now, previous, read, write_report
from .settings import FRONT_DOOR, HISTORY, RELEASE_REPORT
from .swarm import Rollout, Serving, release_of, remove, roll_back_spec, serving
from .verify import wait_until_served


def serving_release(entries: list[Entry], now: Serving | None) -> Release | None:
    """Give the release `now` runs: as the history knows it, else from the image's labels."""
    if now is None:
        return None
    return known(entries, now.digest) or release_of(now.image)


def put_back(before: Release | None) -> str:
    """Make what served before serve again: Swarm's previous spec, or no stack when nothing served.

    Only what the failed deploy changed is undone: when the service still runs what served before
    (the deploy changed nothing, or Swarm already rolled back), it is left as it is, since Swarm's
    previous spec is then an older release still.
    """
    now = serving()
    if before is None:
        if now is None:
            return "nothing served before, and nothing serves"
        remove()
        return "removed the stack: nothing served before"
    if now is not None and now.image == before.image:
        return f"{before.image} serves, as before"
    if now is None or now.previous_image != before.image:
        return f"COULD NOT put back {before.image}: Swarm's previous spec is not it ({now and now.previous_image})"
    rollout = roll_back_spec()
    if rollout.outcome != "completed":
        return f"COULD NOT put back {before.image}: {rollout.message}"
    wait_until_served(FRONT_DOOR, before)
    return f"put back {before.image} in {rollout.seconds} s"


def conclude(release: Release, before: Release | None, rollout: Rollout, failure: str | None,
             success: Outcome = Outcome.DEPLOYED) -> Entry:
    """Record how the rollout of `release` ended; undo it first when it failed after Swarm completed it.

    `failure` is None when the rollout completed and every check of it passed. Writes the history
    entry and reports/release.json (what serves afterwards), and gives the entry.
    """
    serving: Release | None
    if failure is None:
        outcome, reason, serving = success, rollout.message, release
    elif rollout.outcome == "rolled back":
        outcome, reason, serving = Outcome.ROLLED_BACK, failure, before
    else:
        outcome, serving = Outcome.REFUSED, before
        reason = f"{failure}; {put_back(before)}"
    entry = Entry(now(), release, before.digest if before else None, outcome, reason)
    append(HISTORY, entry)
    if serving is None:
        RELEASE_REPORT.unlink(missing_ok=True)
    else:
        write_report(RELEASE_REPORT, serving, previous(read(HISTORY), serving.digest), FRONT_DOOR)
    return entry
