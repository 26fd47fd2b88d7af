"""Write `wine.csv` from the wine recognition data bundled with scikit-learn.

    /work/main/.venv/bin/python examples/wine/make_data.py

Reads `sklearn.datasets.load_wine()` (the file `sklearn/datasets/data/wine_data.csv`
inside the scikit-learn package) and writes the same 178 rows, in the same
order, with the columns named as people write them, the target "Cultivar" in
the middle, and the classes class_0, class_1, class_2 written as "cultivar 1",
"cultivar 2", "cultivar 3" (the UCI file numbers them 1, 2, 3).

Deterministic: every number is written as the shortest plain decimal that reads
back as the same float (integers without ".0"), which is the text of the source
file (including its one "9.899999"); lines end in "\n". Its sha256 is pinned in
README.md.
"""

import csv
from pathlib import Path

from sklearn.datasets import load_wine

HERE = Path(__file__).resolve().parent
OUT = HERE / "wine.csv"

# scikit-learn's feature name -> the column name in the CSV, in scikit-learn's order.
FEATURES = {
    "alcohol": "Alcohol (%)",
    "malic_acid": "Malic Acid",
    "ash": "Ash",
    "alcalinity_of_ash": "Alcalinity of Ash",
    "magnesium": "Magnesium",
    "total_phenols": "Total Phenols",
    "flavanoids": "Flavanoids",
    "nonflavanoid_phenols": "Nonflavanoid Phenols",
    "proanthocyanins": "Proanthocyanins",
    "color_intensity": "Color Intensity",
    "hue": "Hue",
    "od280/od315_of_diluted_wines": "OD280/OD315 of diluted wines",
    "proline": "Proline",
}
TARGET = "Cultivar"
CLASSES = {"class_0": "cultivar 1", "class_1": "cultivar 2", "class_2": "cultivar 3"}
NAMES = list(FEATURES.values())
HEADER = [*NAMES[:6], TARGET, *NAMES[6:]]


def plain(value: float) -> str:
    """Give `value` as a plain decimal: shortest round-trip text, no exponent, no trailing '.0'."""
    text = repr(float(value))
    if "e" in text or "n" in text:  # exponent, nan, inf: never in this data
        raise ValueError(f"{value!r} has no plain decimal form here")
    return text[:-2] if text.endswith(".0") else text


def rows() -> list[list[str]]:
    bunch = load_wine()
    if list(bunch.feature_names) != list(FEATURES) or list(bunch.target_names) != list(CLASSES):
        raise SystemExit(f"unexpected wine data: {bunch.feature_names}, {bunch.target_names}")
    labels = [CLASSES[name] for name in bunch.target_names]
    out = []
    for x, y in zip(bunch.data, bunch.target):
        cells = {name: plain(v) for name, v in zip(NAMES, x)}
        cells[TARGET] = labels[int(y)]
        out.append([cells[name] for name in HEADER])
    return out


if __name__ == "__main__":
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows())
    print(f"wrote {OUT}")
