"""Every way training data can be wrong stops training with the file, row, column and rule."""

import pytest

from service.errors import DataValidationError
from service.train.data import load_dataset

pytestmark = pytest.mark.component

HEADER = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year"
GOOD = [
    "Adelie,Torgersen,39.1,18.7,181,3750,male,2007",
    "Adelie,Dream,NA,NA,NA,NA,NA,2007",
    "Gentoo,Biscoe,46.1,13.2,211,4500,female,2007",
    "Gentoo,Biscoe,50,15.2,218,5700,male,2007",
    "Chinstrap,Dream,46.5,17.9,192,3500,female,2007",
    "Chinstrap,Dream,50,19.5,196,3900,male,2007",
]


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
    assert dataset.labels.tolist() == [0, 0, 2, 2, 1, 1]
    assert dataset.columns["island"][:2] == ["Torgersen", "Dream"]
    assert dataset.columns["sex"][1] is None
    assert str(dataset.columns["bill_length_mm"][1]) == "nan"
    assert len(dataset.sha256) == 64


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("Adelie,Torgersen,abc,18.7,181,3750,male,2007",
         "row 7 (line 8), column 'bill_length_mm': 'abc' is not a number [rule: type]"),
        ("Adelie,Atlantis,39.1,18.7,181,3750,male,2007",
         "row 7 (line 8), column 'island': 'Atlantis' is not one of ['Biscoe', 'Dream', 'Torgersen'] [rule: category]"),
        ("Emperor,Dream,39.1,18.7,181,3750,male,2007",
         "row 7 (line 8), column 'species': label 'Emperor' is not one of ['Adelie', 'Chinstrap', 'Gentoo'] "
         "[rule: label]"),
        ("Adelie,Dream,39.1,18.7,181,37500,male,2007",
         "row 7 (line 8), column 'body_mass_g': 37500 is outside the range [2000, 7000] [rule: range]"),
        ("Adelie,Dream,39.1,18.7,181,inf,male,2007",
         "row 7 (line 8), column 'body_mass_g': inf is not a finite number [rule: range]"),
        ("Adelie,NA,39.1,18.7,181,3750,male,2007",
         "row 7 (line 8), column 'island': a value is required [rule: missing]"),
        ("Adelie,Dream,39.1,18.7,181,3750,male",
         "row 7 (line 8): 7 fields, the header has 8 [rule: shape]"),
    ],
    ids=["text-in-number", "unknown-category", "unknown-label", "out-of-range", "infinity", "missing-required",
         "short-row"],
)
def test_a_bad_cell_is_named_by_row_line_column_and_rule(tmp_path, project_config, row, expected):
    path = write(tmp_path, "\n".join([HEADER, *GOOD, row]) + "\n")
    assert problems_of(path, project_config) == [expected]


def test_a_missing_column_is_named(tmp_path, project_config):
    header = HEADER.replace(",sex", "")
    rows = [r.rsplit(",", 2)[0] + "," + r.rsplit(",", 1)[1] for r in GOOD]
    assert problems_of(write(tmp_path, "\n".join([header, *rows])), project_config) == [
        "header: column 'sex' is missing [rule: columns]"
    ]


def test_an_extra_column_is_named(tmp_path, project_config):
    text = "\n".join([HEADER + ",colour", *(r + ",blue" for r in GOOD)])
    assert problems_of(write(tmp_path, text), project_config) == [
        "header: column 'colour' is not declared [rule: columns]"
    ]


def test_a_header_with_no_rows_is_rejected(tmp_path, project_config):
    assert problems_of(write(tmp_path, HEADER + "\n"), project_config) == [
        "the header has no data rows under it [rule: not-empty]"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "   "], ids=["zero-bytes", "blank-lines", "spaces"])
def test_an_empty_file_is_rejected(tmp_path, project_config, text):
    assert problems_of(write(tmp_path, text), project_config) == ["the file is empty [rule: not-empty]"]


def test_bytes_that_are_not_utf8_are_located(tmp_path, project_config):
    text = ("\n".join([HEADER, *GOOD]) + "\n").encode() + "Adelie,Dream,39.1,18.7,181,3750,m\xe4le,2007\n".encode(
        "latin-1")
    offset = text.index(b"\xe4")
    assert problems_of(write(tmp_path, text), project_config) == [
        f"line 8: byte offset {offset} is not UTF-8 [rule: encoding]"
    ]


def test_a_missing_file_is_a_validation_error(tmp_path, project_config):
    assert problems_of(tmp_path / "absent.csv", project_config) == [
        "cannot read the file: No such file or directory"
    ]


def test_every_problem_is_reported_not_just_the_first(tmp_path, project_config):
    rows = [*GOOD, "Adelie,Dream,x,18.7,181,3750,male,2007", "Adelie,Dream,39.1,y,181,3750,male,2007"]
    problems = problems_of(write(tmp_path, "\n".join([HEADER, *rows])), project_config)
    assert [p.split(":")[0] for p in problems] == [
        "row 7 (line 8), column 'bill_length_mm'", "row 8 (line 9), column 'bill_depth_mm'",
    ]


def test_a_class_with_too_few_rows_to_hold_out_is_rejected(tmp_path, project_config):
    rows = GOOD[:5]  # one Chinstrap
    assert problems_of(write(tmp_path, "\n".join([HEADER, *rows])), project_config) == [
        "column 'species': class 'Chinstrap' has 1 row(s), at least 2 are needed to hold one out [rule: class-count]"
    ]


def test_the_committed_data_is_valid(project_config):
    dataset = load_dataset(project_config.data, project_config)
    assert len(dataset) == 344
    assert dataset.sha256 == "f204db2c753b0937caac3cb35258562c14f073e4bbc76be24b4c51ce22767a93"
