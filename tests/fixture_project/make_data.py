"""Write `pumps.csv`: the machinery's own fixture project, synthetic and seeded.

Not a dataset anyone needs: a small table shaped to exercise what real data
brings — names with spaces, capitals, parentheses, dashes and slashes, class
labels with spaces, the target in the middle of the file, an ID column,
blanks in a number and a category column, and a second, numeric target for
the regression project. Run it to rewrite the file; the tests read the
committed copy (its sha256 is pinned in tests/fixture_project/README.md).
"""

import csv
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = 160
SEED = 7
HEADER = ["Record ID", "Flow Rate (l/min)", "Pump Model", "Service Status", "Inlet-Pressure",
          "Vibration RMS", "Site", "Hours To Failure"]
MODELS = ["A-100", "B 200", "C/300"]
SITES = ["North Yard", "south-yard"]


def rows(rng: random.Random) -> list[list[str]]:
    out = []
    for i in range(ROWS):
        status = ["ok", "needs service", "replace now"][i % 3]
        vibration = {"ok": rng.uniform(1, 8), "needs service": rng.uniform(9, 19),
                     "replace now": rng.uniform(21, 45)}[status]
        flow = rng.uniform(20, 180)
        pressure = rng.uniform(1, 15)
        model = rng.choice(MODELS)
        hours = 2000 - 40 * vibration + 3 * flow - 25 * pressure + 150 * MODELS.index(model) + rng.gauss(0, 40)
        out.append([
            f"P-{1000 + i}",
            "" if i % 17 == 5 else f"{flow:.1f}",
            model,
            status,
            f"{pressure:.2f}",
            "" if i % 23 == 11 else f"{vibration:.2f}",
            "" if i % 19 == 3 else rng.choice(SITES),
            f"{hours:.1f}",
        ])
    return out


if __name__ == "__main__":
    with open(HERE / "pumps.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(random.Random(SEED)))
