"""The champion is what serves: the bundle inside the deployed digest, taken out without running it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.bundle import load_bundle
from service.train.config import TrainConfig
from service.train.evaluate import incomparable

from .docker import engine_answers
from .swarm import extract_bundle, serving

FIRST_RELEASE = "first release: no champion"


@dataclass(frozen=True)
class Champion:
    bundle: Path | None  # None: nothing to compare with, and `about` says why
    about: str


def deployed_champion(config: TrainConfig, scratch: Path) -> Champion:
    """Give the deployed model's bundle as the champion for `config`'s challenger, or why there is none.

    Never starts an engine: where none answers, nothing can be deployed here. A deployed model
    of another project, or of another input schema or class list, cannot be compared, and says so.
    Raises DeployError when the deployed image cannot be read, BundleIntegrityError when its bundle
    is corrupt: a champion that exists but cannot be read stops the line rather than being skipped.
    """
    if not engine_answers():
        return Champion(None, f"{FIRST_RELEASE} (no Docker engine answers, so nothing is deployed here)")
    now = serving()
    if now is None:
        return Champion(None, FIRST_RELEASE)
    bundle = extract_bundle(now.image, scratch / "champion")
    card = load_bundle(bundle).card
    deployed = f"the deployed {card.name} {card.version} ({now.image})"
    if card.name != config.name:
        return Champion(None, f"no champion: {deployed} is another project than {config.name}")
    reason = incomparable(card, config)
    if reason:
        return Champion(None, f"no champion: {deployed} {reason}; not comparable")
    return Champion(bundle, f"{deployed}")
