"""Write `diabetes.csv` from the diabetes data bundled with scikit-learn, in its original units.

    /work/main/.venv/bin/python examples/diabetes/make_data.py

Reads `sklearn.datasets.load_diabetes(scaled=False)` (the files
`sklearn/datasets/data/diabetes_data_raw.csv.gz` and `diabetes_target.csv.gz`
inside the scikit-learn package) and writes the same 442 rows with the columns
named as people write them, the target third, a "Patient ID" (1..442, the row
order of the source) and "Sex" as the category labels "1" and "2" exactly as
coded in the source (the source does not say which code is which sex).

Deterministic: every number is written as the shortest plain decimal that reads
back as the same float (integers without ".0"), which is the text of the source
file; lines end in "\n". Its sha256 is pinned in README.md.
"""

import csv
from pathlib import Path

from sklearn.datasets import load_diabetes

HERE = Path(__file__).resolve().parent
OUT = HERE / "diabetes.csv"

# scikit-learn's feature name -> the column name in the CSV, in CSV order.
FEATURES = {
    "age": "Age",
    "sex": "Sex",
    "bmi": "BMI",
    "bp": "Blood Pressure (mean)",
    "s1": "S1 tc",
    "s2": "S2 ldl",
    "s3": "S3 hdl",
    "s4": "S4 tch",
    "s5": "S5 ltg (log)",
    "s6": "S6 glu",
}
ID = "Patient ID"
TARGET = "Disease Progression"
HEADER = [ID, "Age", TARGET, *[name for key, name in FEATURES.items() if key != "age"]]


def plain(value: float) -> str:
    """Give `value` as a plain decimal: shortest round-trip text, no exponent, no trailing '.0'."""
    text = repr(float(value))
    if "e" in text or "n" in text:  # exponent, nan, inf: never in this data
        raise ValueError(f"{value!r} has no plain decimal form here")
    return text[:-2] if text.endswith(".0") else text


def rows() -> list[list[str]]:
    bunch = load_diabetes(scaled=False)
    index = {name: j for j, name in enumerate(bunch.feature_names)}
    if set(index) != set(FEATURES) or bunch.data.shape != (442, 10):
        raise SystemExit(f"unexpected diabetes data: {bunch.feature_names}, {bunch.data.shape}")
    out = []
    for i, (x, y) in enumerate(zip(bunch.data, bunch.target), start=1):
        cells = {name: plain(x[index[key]]) for key, name in FEATURES.items()}
        if cells["Sex"] not in ("1", "2"):
            raise SystemExit(f"row {i}: sex is coded {cells['Sex']!r}, expected 1 or 2")
        cells[ID] = str(i)
        cells[TARGET] = plain(y)
        out.append([cells[name] for name in HEADER])
    return out


if __name__ == "__main__":
    with open(OUT, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows())
    print(f"wrote {OUT}")
