"""The project configuration: every consistency rule, the gate per task, defaults and overrides.

Projects are built here in memory, shaped like the fixture project's (tests/fixture_project);
each rule's error is asserted whole, where it stands.
"""

import os

import pytest
from pydantic import ValidationError

from service.train.config import TrainConfig
from service.train.estimators import HistGradientBoostingSpec, LogisticRegressionSpec, RandomForestSpec, RidgeSpec

pytestmark = pytest.mark.unit

FEATURES = [
    {"name": "Flow Rate (l/min)", "kind": "number", "min": 0.0, "max": 250.0, "nullable": True},
    {"name": "Pump Model", "kind": "category", "categories": ["A-100", "B 200", "C/300"]},
    {"name": "Site", "kind": "category", "categories": ["North Yard", "south-yard"], "nullable": True},
]
CLASSIFICATION_KEYS = "['min_accuracy', 'min_macro_f1', 'max_log_loss']"
REGRESSION_KEYS = "['max_rmse', 'max_mae', 'min_r2']"
QUIET = {"Flow Rate (l/min)": 90.0, "Pump Model": "A-100", "Site": "North Yard"}


@pytest.fixture(autouse=True)
def no_stopline_environment(monkeypatch):
    """Keep a caller's overrides (STOPLINE_GATE__…) out: the settings read the environment."""
    for name in [n for n in os.environ if n.startswith("STOPLINE_")]:
        monkeypatch.delenv(name)


def classification(**changes):
    return {"name": "pumps", "data": "pumps.csv", "task": "classification", "target": "Service Status",
            "classes": ["ok", "needs service", "replace now"], "ignored_columns": ["Record ID"],
            "schema": {"features": FEATURES}, "model": {"estimator": "logistic_regression"},
            "gate": {"min_macro_f1": 0.9}, **changes}


def regression(**changes):
    return {"name": "pump-hours", "data": "pumps.csv", "task": "regression", "target": "Hours To Failure",
            "schema": {"features": FEATURES}, "model": {"estimator": "ridge"}, "gate": {"min_r2": 0.8}, **changes}


def without(project, key):
    return {k: v for k, v in project.items() if k != key}


def errors(project):
    """Give (location, message) of each error the project raises."""
    with pytest.raises(ValidationError) as caught:
        TrainConfig(**project)
    return [(e["loc"], e["msg"]) for e in caught.value.errors()]


def test_the_two_tasks_load():
    config = TrainConfig(**classification())
    assert (config.task, config.classes, config.target) == (
        "classification", ("ok", "needs service", "replace now"), "Service Status")
    assert config.gate.thresholds() == {"min_macro_f1": 0.9}
    assert config.columns == ("Service Status", "Flow Rate (l/min)", "Pump Model", "Site", "Record ID")
    config = TrainConfig(**regression())
    assert (config.task, config.classes, config.target) == ("regression", (), "Hours To Failure")
    assert config.project.task == "regression"
    assert config.gate.thresholds() == {"min_r2": 0.8}


def test_the_task_defaults_to_classification():
    assert TrainConfig(**without(classification(), "task")).task == "classification"


@pytest.mark.parametrize(
    ("project", "message"),
    [
        (classification(target="Site"), "target 'Site' is also a feature"),
        (classification(ignored_columns=["Record ID", "Site", "Flow Rate (l/min)"]),
         "ignored_columns also lists features: ['Flow Rate (l/min)', 'Site']"),
        (without(classification(), "classes"), "a classification project needs `classes`, at least two"),
        (classification(classes=["ok"]), "a classification project needs `classes`, at least two"),
        (classification(classes=["ok", "replace now", "ok"]), "classes repeat"),
        (regression(classes=["short", "long"]),
         "`classes` is for classification; a regression project predicts a number"),
        (classification(model={"estimator": "ridge"}),
         "model.estimator 'ridge' does not do classification; "
         "choose one of ['logistic_regression', 'random_forest', 'hist_gradient_boosting']"),
        (regression(model={"estimator": "logistic_regression"}),
         "model.estimator 'logistic_regression' does not do regression; "
         "choose one of ['ridge', 'random_forest', 'hist_gradient_boosting']"),
        (classification(gate={"min_macro_f1": 0.9, "min_r2": 0.8}),
         f"gate ['min_r2'] are not metrics of classification; its gate keys are {CLASSIFICATION_KEYS}"),
        (classification(gate={"max_rmse": 100.0, "max_mae": 50.0}),
         f"gate ['max_mae', 'max_rmse'] are not metrics of classification; its gate keys are {CLASSIFICATION_KEYS}"),
        (regression(gate={"min_r2": 0.8, "min_accuracy": 0.9}),
         f"gate ['min_accuracy'] are not metrics of regression; its gate keys are {REGRESSION_KEYS}"),
        (classification(gate={"max_regression": 0.02}),
         f"the gate sets no threshold, so it could not fail; set one of {CLASSIFICATION_KEYS}"),
        (without(classification(), "gate"),
         f"the gate sets no threshold, so it could not fail; set one of {CLASSIFICATION_KEYS}"),
        (regression(gate={}), f"the gate sets no threshold, so it could not fail; set one of {REGRESSION_KEYS}"),
        (classification(checks={"records": {"quiet pump": {**QUIET, "Pump Model": "D-400"}}}),
         "checks.records.'quiet pump', record 'quiet pump': 'Pump Model': 'D-400' is not one of "
         "['A-100', 'B 200', 'C/300']"),
        (regression(checks={"records": {"quiet pump": QUIET},
                            "minimum": [{"name": "a quiet pump is ok", "record": "quiet pump", "label": "ok"}]}),
         "check 'a quiet pump is ok': `label` is for classification projects"),
    ],
    ids=["target-is-a-feature", "ignored-feature", "no-classes", "one-class", "classes-repeat",
         "classes-in-regression", "regression-estimator", "classification-estimator", "regression-gate-key",
         "regression-gate-keys", "classification-gate-key", "no-threshold", "no-gate", "no-regression-threshold",
         "check-record", "check-of-the-other-task"],
)
def test_an_inconsistent_project_is_refused_naming_the_setting(project, message):
    assert errors(project) == [((), f"Value error, {message}")]


def test_the_estimator_defaults_to_the_tasks_own_with_its_defaults():
    assert TrainConfig(**without(classification(), "model")).model == LogisticRegressionSpec(
        estimator="logistic_regression", C=1.0, max_iter=1000)
    assert TrainConfig(**without(regression(), "model")).model == RidgeSpec(estimator="ridge", alpha=1.0)
    # Parameters without an estimator belong to the default one.
    assert TrainConfig(**regression(model={"alpha": 2.5})).model == RidgeSpec(estimator="ridge", alpha=2.5)
    assert TrainConfig(**classification(model={"C": 0.5})).model.params() == {
        "estimator": "logistic_regression", "C": 0.5, "max_iter": 1000}


def test_a_parameter_of_another_estimator_is_refused_by_name():
    assert errors(classification(model={"alpha": 2.5})) == [
        (("model", "logistic_regression", "alpha"), "Extra inputs are not permitted")]


@pytest.mark.parametrize("estimator", ["random_forest", "hist_gradient_boosting"])
def test_the_tree_estimators_do_either_task(estimator):
    spec = {"random_forest": RandomForestSpec, "hist_gradient_boosting": HistGradientBoostingSpec}[estimator]
    assert TrainConfig(**classification(model={"estimator": estimator})).model == spec(estimator=estimator)
    assert TrainConfig(**regression(model={"estimator": estimator})).model == spec(estimator=estimator)


def test_an_unknown_estimator_or_task_is_refused_by_name():
    assert errors(classification(model={"estimator": "svm"})) == [
        (("model",), "Input tag 'svm' found using 'estimator' does not match any of the expected tags: "
                     "'logistic_regression', 'ridge', 'random_forest', 'hist_gradient_boosting'")]
    assert errors(classification(task="clustering")) == [
        (("task",), "Input should be 'classification' or 'regression'")]


@pytest.mark.parametrize(
    ("project", "loc", "message"),
    [
        (classification(name="Pumps"), ("name",), "String should match pattern '^[a-z0-9][a-z0-9._-]*$'"),
        (classification(holdout_fraction=1.0), ("holdout_fraction",), "Input should be less than 1"),
        (classification(seed=-1), ("seed",), "Input should be greater than or equal to 0"),
        (classification(gate={"min_macro_f1": 1.5}), ("gate", "min_macro_f1"),
         "Input should be less than or equal to 1"),
        (regression(gate={"max_rmse": 0.0}), ("gate", "max_rmse"), "Input should be greater than 0"),
        (regression(gate={"min_r2": 0.8, "min_f1": 0.9}), ("gate", "min_f1"), "Extra inputs are not permitted"),
        (classification(colour="blue"), ("colour",), "Extra inputs are not permitted"),
    ],
    ids=["name", "holdout-fraction", "seed", "gate-range", "rmse-range", "unknown-gate-key", "unknown-key"],
)
def test_a_bad_value_is_refused_where_it_stands(project, loc, message):
    assert errors(project) == [(loc, message)]


def test_names_are_taken_as_people_write_them_but_not_with_surrounding_space():
    assert TrainConfig(**classification(classes=["ok", "needs service", "C/300 (worn)"])).classes[2] == "C/300 (worn)"
    assert [loc for loc, _ in errors(classification(target="Service Status "))] == [("target",)]
    assert [loc for loc, _ in errors(classification(classes=["ok", " needs service"]))] == [("classes", 1)]


def test_an_environment_override_sets_one_gate_key_and_keeps_the_rest(monkeypatch):
    monkeypatch.setenv("STOPLINE_GATE__MIN_R2", "0.95")
    config = TrainConfig(**regression(gate={"min_r2": 0.8, "max_mae": 90.0, "max_regression": 0.02}))
    assert config.gate.thresholds() == {"max_mae": 90.0, "min_r2": 0.95}
    assert config.gate.max_regression == 0.02


def test_an_environment_override_is_held_to_the_same_rules(monkeypatch):
    monkeypatch.setenv("STOPLINE_GATE__MIN_R2", "0.95")
    assert errors(classification()) == [
        ((), "Value error, gate ['min_r2'] are not metrics of classification; "
             f"its gate keys are {CLASSIFICATION_KEYS}")]
    monkeypatch.setenv("STOPLINE_GATE__MIN_R2", "1.5")
    assert errors(regression()) == [(("gate", "min_r2"), "Input should be less than or equal to 1")]


def test_an_environment_override_reaches_the_default_estimator(monkeypatch):
    monkeypatch.setenv("STOPLINE_MODEL__ALPHA", "3")
    assert TrainConfig(**without(regression(), "model")).model == RidgeSpec(estimator="ridge", alpha=3.0)
