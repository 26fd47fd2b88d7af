"""Every way training data can be wrong stops training with the file, row, column and rule.

The data is the fixture project's (tests/fixture_project): names with spaces,
parentheses, dashes and slashes, the target in the middle of the row.
"""

import math

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from service.errors import DataValidationError
from service.train.config import load_config
from service.train.data import load_dataset
from service.train.run import split
from tests.paths import ROOT

pytestmark = pytest.mark.component

FIXTURE = ROOT / "tests" / "fixture_project"
FIXTURE_SHA256 = "789da552ecfa387ce30f365ebff9d469871924ef47f6aaca55e08416973f8d84"
HEADER = "Record ID,Flow Rate (l/min),Pump Model,Service Status,Inlet-Pressure,Vibration RMS,Site,Hours To Failure"
GOOD = [
    "P-1000,31.6,B 200,ok,8.50,3.27,North Yard,1825.4",
    "P-1005,,A-100,replace now,4.48,43.16,North Yard,405.0",
    "P-1001,34.5,C/300,needs service,6.94,13.34,North Yard,1652.9",
    "P-1003,69.4,A-100,ok,12.43,3.03,,1774.5",
    "P-1004,35.6,C/300,needs service,10.97,14.71,south-yard,1569.3",
    "P-1011,99.4,B 200,replace now,3.33,NA,south-yard,669.7",
]
CLASSES = "['ok', 'needs service', 'replace now']"


@pytest.fixture(scope="module")
def regression_config():
    return load_config(FIXTURE / "regression.toml")


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def problems_of(path, config):
    with pytest.raises(DataValidationError) as caught:
        load_dataset(path, config)
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)
    return caught.value.problems


def test_good_rows_load_as_columns_with_missing_values(tmp_path, project_config):
    dataset = load_dataset(write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n"), project_config)
    assert len(dataset) == 6
    assert dataset.target.dtype == np.int64
    assert dataset.target.tolist() == [0, 2, 1, 0, 1, 2]
    assert dataset.classes == ("ok", "needs service", "replace now")
    assert list(dataset.columns) == ["Flow Rate (l/min)", "Pump Model", "Inlet-Pressure", "Vibration RMS", "Site"]
    assert dataset.columns["Pump Model"] == ["B 200", "A-100", "C/300", "A-100", "C/300", "B 200"]
    assert dataset.columns["Site"][3] is None
    assert str(dataset.columns["Flow Rate (l/min)"][1]) == "nan"
    assert str(dataset.columns["Vibration RMS"][5]) == "nan"
    assert dataset.columns["Inlet-Pressure"][0] == 8.5
    assert len(dataset.sha256) == 64


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("P-1099,abc,A-100,ok,8.50,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Flow Rate (l/min)': 'abc' is not a number [rule: type]"),
        ("P-1099,31.6,D-400,ok,8.50,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Pump Model': 'D-400' is not one of ['A-100', 'B 200', 'C/300'] [rule: category]"),
        ("P-1099,31.6,b 200,ok,8.50,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Pump Model': 'b 200' is not one of ['A-100', 'B 200', 'C/300'] [rule: category]"),
        ("P-1099,31.6,A-100,broken,8.50,3.27,North Yard,1825.4",
         f"row 7 (line 8), column 'Service Status': label 'broken' is not one of {CLASSES} [rule: label]"),
        ("P-1099,31.6,A-100,,8.50,3.27,North Yard,1825.4",
         f"row 7 (line 8), column 'Service Status': label '' is not one of {CLASSES} [rule: label]"),
        ("P-1099,31.6,A-100,ok,25,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Inlet-Pressure': 25 is outside the range [0, 20] [rule: range]"),
        ("P-1099,31.6,A-100,ok,8.50,inf,North Yard,1825.4",
         "row 7 (line 8), column 'Vibration RMS': inf is not a finite number [rule: range]"),
        ("P-1099,31.6,NA,ok,8.50,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Pump Model': a value is required [rule: missing]"),
        ("P-1099,31.6,A-100,ok,,3.27,North Yard,1825.4",
         "row 7 (line 8), column 'Inlet-Pressure': a value is required [rule: missing]"),
        ("P-1099,31.6,A-100,ok,8.50,3.27,North Yard",
         "row 7 (line 8): 7 fields, the header has 8 [rule: shape]"),
    ],
    ids=["text-in-number", "unknown-category", "category-case", "unknown-label", "blank-label", "out-of-range",
         "infinity", "missing-category", "missing-number", "short-row"],
)
def test_a_bad_cell_is_named_by_row_line_column_and_rule(tmp_path, project_config, row, expected):
    path = write(tmp_path, "\n".join([HEADER, *GOOD, row]) + "\n")
    assert problems_of(path, project_config) == [expected]


def test_a_missing_column_is_named(tmp_path, project_config):
    header = HEADER.replace(",Site", "")
    rows = [",".join(r.split(",")[:6] + r.split(",")[7:]) for r in GOOD]
    assert problems_of(write(tmp_path, "\n".join([header, *rows])), project_config) == [
        "header: column 'Site' is missing [rule: columns]"
    ]


def test_a_missing_ignored_column_is_named_too(tmp_path, project_config):
    rows = [r.split(",", 1)[1] for r in GOOD]
    assert problems_of(write(tmp_path, "\n".join([HEADER.split(",", 1)[1], *rows])), project_config) == [
        "header: column 'Record ID' is missing [rule: columns]"
    ]


def test_an_extra_column_is_named(tmp_path, project_config):
    text = "\n".join([HEADER + ",Paint (RAL)", *(r + ",5015" for r in GOOD)])
    assert problems_of(write(tmp_path, text), project_config) == [
        "header: column 'Paint (RAL)' is not declared [rule: columns]"
    ]


def test_a_header_with_no_rows_is_rejected(tmp_path, project_config):
    assert problems_of(write(tmp_path, HEADER + "\n"), project_config) == [
        "the header has no data rows under it [rule: not-empty]"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "   "], ids=["zero-bytes", "blank-lines", "spaces"])
def test_an_empty_file_is_rejected(tmp_path, project_config, text):
    assert problems_of(write(tmp_path, text), project_config) == ["the file is empty [rule: not-empty]"]


def test_bytes_that_are_not_utf8_are_located(tmp_path, project_config):
    bad_row = "P-1099,31.6,A-100,ok,8.50,3.27,N\xf6rth Yard,1825.4\n".encode("latin-1")
    text = ("\n".join([HEADER, *GOOD]) + "\n").encode() + bad_row
    offset = text.index(b"\xf6")
    assert problems_of(write(tmp_path, text), project_config) == [
        f"line 8: byte offset {offset} is not UTF-8 [rule: encoding]"
    ]


def test_a_missing_file_is_a_validation_error(tmp_path, project_config):
    assert problems_of(tmp_path / "absent.csv", project_config) == [
        "cannot read the file: No such file or directory"
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path, project_config):
    rows = [*GOOD, "P-1099,x,A-100,ok,8.50,3.27,North Yard,1825.4", "P-1100,31.6,A-100,ok,8.50,y,North Yard,1825.4"]
    problems = problems_of(write(tmp_path, "\n".join([HEADER, *rows])), project_config)
    assert [p.split(":")[0] for p in problems] == [
        "row 7 (line 8), column 'Flow Rate (l/min)'", "row 8 (line 9), column 'Vibration RMS'",
    ]


def test_a_class_with_too_few_rows_to_hold_out_is_rejected(tmp_path, project_config):
    rows = GOOD[:4] + GOOD[5:]  # one 'needs service'
    assert problems_of(write(tmp_path, "\n".join([HEADER, *rows])), project_config) == [
        "column 'Service Status': class 'needs service' has 1 row(s), at least 2 are needed to hold one out "
        "[rule: class-count]"
    ]


def test_the_fixture_data_is_valid(project_config):
    dataset = load_dataset(project_config.data, project_config)
    assert project_config.data == FIXTURE / "pumps.csv"
    assert len(dataset) == 160
    assert dataset.sha256 == FIXTURE_SHA256
    assert np.bincount(dataset.target).tolist() == [54, 53, 53]


# --- Regression: the same file, its numeric target 'Hours To Failure'.


def test_a_regression_target_loads_as_float_values(tmp_path, regression_config):
    dataset = load_dataset(write(tmp_path, "\n".join([HEADER, *GOOD]) + "\n"), regression_config)
    assert dataset.target.dtype == np.float64
    assert dataset.target.tolist() == [1825.4, 405.0, 1652.9, 1774.5, 1569.3, 669.7]
    assert dataset.classes == ()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", "the target is missing; every row needs one [rule: missing]"),
        ("NA", "the target is missing; every row needs one [rule: missing]"),
        ("soon", "'soon' is not a number [rule: type]"),
        ("inf", "'inf' is not a finite number [rule: type]"),
        ("nan", "'nan' is not a finite number [rule: type]"),
    ],
    ids=["blank", "NA", "text", "inf", "nan"],
)
def test_a_bad_regression_target_is_named_by_row_line_column_and_rule(tmp_path, regression_config, cell, expected):
    row = f"P-1099,31.6,A-100,ok,8.50,3.27,North Yard,{cell}"
    path = write(tmp_path, "\n".join([HEADER, *GOOD, row]) + "\n")
    assert problems_of(path, regression_config) == [f"row 7 (line 8), column 'Hours To Failure': {expected}"]


def test_a_regression_project_ignores_the_class_column(tmp_path, regression_config):
    row = "P-1099,31.6,A-100,broken,8.50,3.27,North Yard,1825.4"
    dataset = load_dataset(write(tmp_path, "\n".join([HEADER, *GOOD, row]) + "\n"), regression_config)
    assert len(dataset) == 7


def test_the_fixture_data_is_valid_for_regression(regression_config):
    dataset = load_dataset(regression_config.data, regression_config)
    assert len(dataset) == 160
    assert dataset.sha256 == FIXTURE_SHA256
    assert dataset.target[:3].tolist() == [1825.4, 1652.9, 472.3]


def test_the_regression_split_is_seeded_and_not_stratified(regression_config):
    dataset = load_dataset(regression_config.data, regression_config)
    train_rows, holdout_rows = split(dataset, regression_config)
    assert len(holdout_rows) == math.ceil(0.25 * 160) == 40
    assert sorted([*train_rows, *holdout_rows]) == list(range(160))
    _, expected = train_test_split(np.arange(160), test_size=0.25, random_state=11)
    assert holdout_rows.tolist() == sorted(expected.tolist())
    assert split(dataset, regression_config)[1].tolist() == holdout_rows.tolist()
    # Stratifying by value would fail outright: most values occur once.
    with pytest.raises(ValueError, match="The least populated classes in y have only 1 member"):
        train_test_split(np.arange(160), test_size=0.25, random_state=11, stratify=dataset.target)


def test_the_classification_split_is_stratified_by_label(project_config):
    dataset = load_dataset(project_config.data, project_config)
    train_rows, holdout_rows = split(dataset, project_config)
    assert len(holdout_rows) == 40
    _, expected = train_test_split(np.arange(160), test_size=0.25, random_state=11, stratify=dataset.target)
    assert holdout_rows.tolist() == sorted(expected.tolist())
    assert np.bincount(dataset.target[holdout_rows]).tolist() == [14, 13, 13]
