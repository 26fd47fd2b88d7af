"""Behavioural checks: validated against the project when it loads, and run against a `predict`.

The project is shaped like the fixture's (tests/fixture_project), built here in memory; the
model is a fake `predict` that gives fixed outputs, so every verdict and message is exact.
"""

import numpy as np
import pytest
from pydantic import ValidationError

from service.schema import InputSchema
from service.train.checks import ChecksConfig, Project, run_check, validate

pytestmark = pytest.mark.unit

SCHEMA = InputSchema.model_validate({"features": [
    {"name": "Flow Rate (l/min)", "kind": "number", "min": 0.0, "max": 250.0, "nullable": True},
    {"name": "Pump Model", "kind": "category", "categories": ["A-100", "B 200", "C/300"]},
    {"name": "Inlet-Pressure", "kind": "number", "min": 0.0, "max": 20.0},
    {"name": "Vibration RMS", "kind": "number", "min": 0.0, "max": 60.0, "nullable": True},
    {"name": "Site", "kind": "category", "categories": ["North Yard", "south-yard"], "nullable": True},
]})
CLASSES = ("ok", "needs service", "replace now")
CLASSIFICATION = Project(SCHEMA, "classification", CLASSES, ("", "NA"))
REGRESSION = Project(SCHEMA, "regression", (), ("", "NA"))
QUIET = {"Flow Rate (l/min)": 90.0, "Pump Model": "A-100", "Inlet-Pressure": 6.0, "Vibration RMS": 4.0,
         "Site": "North Yard"}
WORN = {**QUIET, "Pump Model": "B 200", "Vibration RMS": 30.0, "Site": "south-yard"}
RECORDS = {"quiet pump": QUIET, "worn pump": WORN}
FEATURES = "['Flow Rate (l/min)', 'Pump Model', 'Inlet-Pressure', 'Vibration RMS', 'Site']"
LABELS = "['ok', 'needs service', 'replace now']"


def checks(**declared):
    return ChecksConfig.model_validate({"records": RECORDS, **declared})


def minimum(**fields):
    return {"minimum": [{"name": "c", "record": "quiet pump", **fields}]}


def invariance(**fields):
    return {"invariance": [{"name": "c", "records": ["quiet pump"], **fields}]}


def directional(**fields):
    return {"directional": [{"name": "c", "record": "quiet pump", "feature": "Vibration RMS",
                             "values": [5.0, 15.0, 25.0], "direction": "increasing", **fields}]}


# --- validate: a check that does not fit the project is an error naming the check.


def test_the_fixture_projects_checks_fit_their_projects():
    validate(CLASSIFICATION, checks(
        minimum=[{"name": "a quiet pump is ok", "record": "quiet pump", "label": "ok", "min_probability": 0.6}],
        invariance=[{"name": "site", "records": ["quiet pump", "worn pump"], "set": {"Site": ""}}],
        directional=[{"name": "vibration", "record": "quiet pump", "feature": "Vibration RMS",
                      "values": [5.0, 35.0], "direction": "increasing", "class": "replace now"}],
    ))
    validate(REGRESSION, checks(
        minimum=[{"name": "runs long", "record": "quiet pump", "min": 1800.0}],
        invariance=[{"name": "site", "records": ["quiet pump"], "set": {"Site": "south-yard"}, "max_change": 50.0}],
        directional=[{"name": "vibration", "record": "quiet pump", "feature": "Vibration RMS",
                      "values": [5.0, 35.0], "direction": "decreasing"}],
    ))
    validate(CLASSIFICATION, ChecksConfig())


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (minimum(record="old pump", label="ok"),
         "check 'c': no record 'old pump' in [checks.records]; there are ['quiet pump', 'worn pump']"),
        (invariance(records=["quiet pump", "old pump"], set={"Site": ""}),
         "check 'c': no record 'old pump' in [checks.records]; there are ['quiet pump', 'worn pump']"),
        ({"records": {**RECORDS, "quiet pump": {**QUIET, "Colour": "red"}}},
         f"checks.records.'quiet pump', record 'quiet pump': 'Colour' is not a feature; the features are {FEATURES}"),
        ({"records": {**RECORDS, "quiet pump": {k: v for k, v in QUIET.items() if k != "Site"}}},
         "checks.records.'quiet pump': record 'quiet pump' lacks ['Site']"),
        (minimum(label="ok", set={"Colour": "red"}),
         f"check 'c', record 'quiet pump': 'Colour' is not a feature; the features are {FEATURES}"),
        (minimum(label="ok", set={"Pump Model": "D-400"}),
         "check 'c', record 'quiet pump': 'Pump Model': 'D-400' is not one of ['A-100', 'B 200', 'C/300']"),
        (minimum(label="ok", set={"Pump Model": 300}),
         "check 'c', record 'quiet pump': 'Pump Model': 300 is not a category"),
        (minimum(label="ok", set={"Inlet-Pressure": 25.0}),
         "check 'c', record 'quiet pump': 'Inlet-Pressure': 25 is outside the range [0, 20]"),
        (minimum(label="ok", set={"Inlet-Pressure": "high"}),
         "check 'c', record 'quiet pump': 'Inlet-Pressure' must be a number, got 'high'"),
        (minimum(label="ok", set={"Inlet-Pressure": True}),
         "check 'c', record 'quiet pump': 'Inlet-Pressure' must be a number, got True"),
        (minimum(label="ok", set={"Inlet-Pressure": ""}),
         "check 'c', record 'quiet pump': 'Inlet-Pressure' is missing, and the feature is not nullable"),
        (minimum(label="ok", set={"Pump Model": "NA"}),
         "check 'c', record 'quiet pump': 'Pump Model' is missing, and the feature is not nullable"),
        (minimum(), "check 'c': a classification check needs `label`"),
        (minimum(label="broken"), f"check 'c': label 'broken' is not one of {LABELS}"),
        (minimum(label="ok", min=1800.0), "check 'c': `min` is for regression projects"),
        (minimum(label="ok", max=2200.0), "check 'c': `max` is for regression projects"),
        (invariance(), "check 'c': an invariance check needs `set` or `shift`"),
        (invariance(set={"Site": ""}, max_change=1.0), "check 'c': `max_change` is for regression projects"),
        (invariance(shift={"Site": 1.0}), "check 'c': shift 'Site' is not a number feature"),
        (invariance(shift={"Colour": 1.0}), "check 'c': shift 'Colour' is not a number feature"),
        (directional(**{"class": "broken"}), f"check 'c': class 'broken' is not one of {LABELS}"),
        (directional(feature="Site", **{"class": "ok"}), "check 'c': 'Site' is not a number feature"),
        (directional(feature="Pump Model", **{"class": "ok"}), "check 'c': 'Pump Model' is not a number feature"),
        (directional(feature="Colour", **{"class": "ok"}), "check 'c': 'Colour' is not a number feature"),
        (directional(values=[5.0, 75.0], **{"class": "ok"}),
         "check 'c': 'Vibration RMS': 75 is outside the range [0, 60]"),
    ],
    ids=["unknown-record", "unknown-record-in-list", "unknown-column-in-record", "record-lacks-a-feature",
         "unknown-column-in-set", "refused-category", "number-as-category", "out-of-range", "text-as-number",
         "bool-as-number", "missing-number", "missing-category", "no-label", "unknown-label", "min-in-classification",
         "max-in-classification", "invariance-without-change", "max-change-in-classification",
         "shift-of-a-category", "shift-of-an-unknown-column", "unknown-class", "directional-on-a-category",
         "directional-on-another-category", "directional-on-an-unknown-column", "sweep-out-of-range"],
)
def test_a_classification_check_that_does_not_fit_is_named(declared, message):
    with pytest.raises(ValueError) as caught:
        validate(CLASSIFICATION, checks(**declared))
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        (minimum(), "check 'c': a regression check needs `min` or `max`"),
        (minimum(label="ok"), "check 'c': `label` is for classification projects"),
        (minimum(min=1800.0, min_probability=0.6), "check 'c': `min_probability` is for classification projects"),
        (invariance(set={"Site": "south-yard"}), "check 'c': a regression invariance check needs `max_change`"),
        (directional(**{"class": "ok"}), "check 'c': `class` is for classification projects"),
        (directional(feature="Site"), "check 'c': 'Site' is not a number feature"),
        (minimum(min=1800.0, set={"Pump Model": "D-400"}),
         "check 'c', record 'quiet pump': 'Pump Model': 'D-400' is not one of ['A-100', 'B 200', 'C/300']"),
    ],
    ids=["no-bound", "label", "min-probability", "invariance-without-max-change", "class", "directional-on-a-category",
         "refused-category"],
)
def test_a_regression_check_that_does_not_fit_is_named(declared, message):
    with pytest.raises(ValueError) as caught:
        validate(REGRESSION, checks(**declared))
    assert str(caught.value) == message


def test_a_missing_value_is_allowed_where_the_feature_is_nullable():
    validate(CLASSIFICATION, checks(**minimum(label="ok", set={"Site": "", "Flow Rate (l/min)": "NA"})))


@pytest.mark.parametrize(
    ("declared", "loc", "message"),
    [
        (minimum(label="ok", labels="ok"), ("minimum", 0, "labels"), "Extra inputs are not permitted"),
        (minimum(label="ok", min_probability=0), ("minimum", 0, "min_probability"), "Input should be greater than 0"),
        (invariance(records=[]), ("invariance", 0, "records"),
         "Tuple should have at least 1 item after validation, not 0"),
        (invariance(set={"Site": ""}, max_change=-1.0), ("invariance", 0, "max_change"),
         "Input should be greater than or equal to 0"),
        (directional(values=[5.0]), ("directional", 0, "values"),
         "Tuple should have at least 2 items after validation, not 1"),
        (directional(direction="up"), ("directional", 0, "direction"), "Input should be 'increasing' or 'decreasing'"),
        ({"minimum": [{"name": "", "record": "quiet pump", "label": "ok"}]}, ("minimum", 0, "name"),
         "String should have at least 1 character"),
        ({"spot": []}, ("spot",), "Extra inputs are not permitted"),
    ],
    ids=["unknown-field", "zero-probability", "no-records", "negative-max-change", "one-value", "direction",
         "empty-name", "unknown-kind"],
)
def test_a_malformed_check_is_refused_where_it_stands(declared, loc, message):
    with pytest.raises(ValidationError) as caught:
        checks(**declared)
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [(loc, message)]


# The gate keys its verdict by check name (service/train/gate.py: `{check.name: run_check(...)}`),
# so of two checks with one name only the last is judged: a failing first one is dropped unseen.
def test_two_checks_may_not_share_a_name():
    twice = checks(minimum=[{"name": "c", "record": "quiet pump", "label": "replace now"},
                            {"name": "c", "record": "quiet pump", "label": "ok"}])
    with pytest.raises(ValueError, match="'c'"):
        validate(CLASSIFICATION, twice)


# A shift is added after the record is checked, so the model is asked about a value the
# schema (and the served API, with a 422) refuses: Inlet-Pressure 6 + 100 = 106 > 20.
def test_a_shift_that_leaves_the_range_is_refused():
    with pytest.raises(ValueError, match="'Inlet-Pressure': 106 is outside the range"):
        validate(CLASSIFICATION, checks(**invariance(shift={"Inlet-Pressure": 100.0})))


# --- run_check: what a check finds wrong with the model behind a fake `predict`.


class FakeModel:
    """A `predict` that answers from a table keyed by one feature, and keeps every batch it was given."""

    def __init__(self, feature, table):
        self.feature, self.table, self.batches = feature, table, []

    def __call__(self, records):
        self.batches.append(records)
        return np.array([self.table[r[self.feature]] for r in records], dtype=np.float32)


def run(project, declared, model):
    config = checks(**declared)
    (check,) = config.all
    validate(project, config)
    return run_check(project, config, check, model)


def test_a_minimum_check_passes_on_the_expected_label_and_sends_the_record_with_its_changes():
    model = FakeModel("Site", {None: [0.75, 0.125, 0.125]})
    assert run(CLASSIFICATION, minimum(label="ok", min_probability=0.75, set={"Site": ""}), model) is None
    assert model.batches == [[{**QUIET, "Site": None}]]


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        ([0.25, 0.625, 0.125], "predicted 'needs service' (p=0.625), expected 'ok'"),
        ([0.5, 0.25, 0.25], "predicted 'ok' with p=0.500, below 0.6"),
    ],
    ids=["another-label", "too-unsure"],
)
def test_a_minimum_check_fails_on_another_label_or_too_low_a_probability(probabilities, message):
    model = FakeModel("Site", {"North Yard": probabilities})
    assert run(CLASSIFICATION, minimum(label="ok", min_probability=0.6), model) == message


@pytest.mark.parametrize(
    ("bounds", "value", "message"),
    [
        ({"min": 1800.0}, 1800.0, None),
        ({"max": 2200.0}, 2200.0, None),
        ({"min": 1800.0, "max": 2200.0}, 2000.0, None),
        ({"min": 1800.0}, 1500.0, "predicted 1500, outside [1800, inf]"),
        ({"max": 2200.0}, 2500.5, "predicted 2500.5, outside [-inf, 2200]"),
        ({"min": 1800.0, "max": 2200.0}, 2200.25, "predicted 2200.25, outside [1800, 2200]"),
    ],
    ids=["at-min", "at-max", "between", "below-min", "above-max", "outside-both"],
)
def test_a_regression_minimum_check_bounds_the_value(bounds, value, message):
    assert run(REGRESSION, minimum(**bounds), FakeModel("Site", {"North Yard": value})) == message


def test_a_classification_invariance_check_holds_while_the_label_stays():
    model = FakeModel("Site", {"North Yard": [0.5, 0.25, 0.25], "south-yard": [0.25, 0.25, 0.5],
                               None: [0.375, 0.25, 0.375 - 2 ** -10]})
    assert run(CLASSIFICATION, invariance(records=["quiet pump"], set={"Site": ""}), model) is None
    assert model.batches == [[QUIET], [{**QUIET, "Site": None}]]


def test_a_classification_invariance_check_names_the_record_whose_label_changed():
    model = FakeModel("Site", {"North Yard": [0.5, 0.25, 0.25], "south-yard": [0.25, 0.25, 0.5],
                               None: [0.5, 0.25, 0.25]})
    declared = invariance(records=["quiet pump", "worn pump"], set={"Site": ""})
    assert run(CLASSIFICATION, declared, model) == "record 'worn pump': 'replace now' became 'ok'"


def test_an_invariance_shift_is_added_to_numbers_and_leaves_a_missing_value_missing():
    model = FakeModel("Pump Model", {"A-100": [0.5, 0.25, 0.25]})
    declared = {"records": {**RECORDS, "blank pump": {**QUIET, "Flow Rate (l/min)": ""}},
                **invariance(records=["quiet pump", "blank pump"], shift={"Flow Rate (l/min)": 2.5})}
    assert run(CLASSIFICATION, declared, model) is None
    assert model.batches[1] == [{**QUIET, "Flow Rate (l/min)": 92.5}, {**QUIET, "Flow Rate (l/min)": None}]


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (1950.0, None),
        (2050.0, None),
        (2050.5, "record 'quiet pump': 2000 became 2050.5, more than 50.0"),
        (1900.0, "record 'quiet pump': 2000 became 1900, more than 50.0"),
    ],
    ids=["down-to-the-limit", "up-to-the-limit", "up-beyond", "down-beyond"],
)
def test_a_regression_invariance_check_allows_max_change_and_no_more(after, message):
    model = FakeModel("Site", {"North Yard": 2000.0, "south-yard": after})
    assert run(REGRESSION, invariance(set={"Site": "south-yard"}, max_change=50.0), model) == message


@pytest.mark.parametrize(
    ("direction", "series", "message"),
    [
        ("increasing", [0.125, 0.25, 0.5], None),
        ("increasing", [0.125, 0.25, 0.25], None),
        ("increasing", [0.25, 0.25, 0.25], "does not move along 'Vibration RMS': [0.25, 0.25, 0.25]"),
        ("increasing", [0.25, 0.2499999, 0.5], None),
        ("decreasing", [0.5, 0.25, 0.125], None),
        ("decreasing", [0.5, 0.625, 0.125],
         "moves against decreasing along 'Vibration RMS' between 5 and 15: [0.5, 0.625, 0.125]"),
    ],
    ids=["rises", "plateau", "flat", "noise", "falls", "rises-once"],
)
def test_a_classification_directional_check_follows_the_named_class(direction, series, message):
    # Only 'replace now' is followed: 'ok' moves the other way, and does not count.
    table = {v: [1 - p, 0.0, p] for v, p in zip([5.0, 15.0, 25.0], series)}
    model = FakeModel("Vibration RMS", table)
    declared = directional(direction=direction, **{"class": "replace now"})
    assert run(CLASSIFICATION, declared, model) == message
    assert [r["Vibration RMS"] for r in model.batches[0]] == [5.0, 15.0, 25.0]
    assert all({**r, "Vibration RMS": 4.0} == QUIET for r in model.batches[0])


@pytest.mark.parametrize(
    ("direction", "values", "message"),
    [
        ("decreasing", [2000.0, 1500.0, 1000.0], None),
        ("decreasing", [2000.0, 1500.0, 1600.0],
         "moves against decreasing along 'Vibration RMS' between 15 and 25: [2000.0, 1500.0, 1600.0]"),
        ("increasing", [1000.0, 1500.0, 2000.0], None),
        ("increasing", [1000.0, 1000.0, 2000.0], None),
        ("increasing", [1000.0, 1000.0, 1000.0], "does not move along 'Vibration RMS': [1000.0, 1000.0, 1000.0]"),
    ],
    ids=["falls", "rises-once", "rises", "plateau", "flat"],
)
def test_a_regression_directional_check_follows_the_value(direction, values, message):
    model = FakeModel("Vibration RMS", dict(zip([5.0, 15.0, 25.0], values)))
    assert run(REGRESSION, directional(direction=direction), model) == message
