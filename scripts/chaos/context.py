"""What every scenario shares: where the stack answers, the image it runs, and the traffic to send."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scripts.chaos.load import Traffic

PHASE_S = 5.0  # the before and after phases, each one wrk run
STEADY_CONNECTIONS = 10
STEADY_DELAY_MS = 30  # 10 connections pausing 30 ms: about 250-300 requests a second, below saturation


@dataclass
class Context:
    door: str  # the front door's base URL
    image: str  # what the stack serves, by digest
    work: Path  # wrk scripts, bodies, scratch files
    predict_body: bytes  # one valid single-row /predict body of the deployed project
    batch_body: bytes  # a 1,000-row body: a request that takes long enough to be caught in flight
    steady: Traffic  # paced single-row predictions
    saturating: Traffic  # unpaced single-row predictions
    soak_s: float
