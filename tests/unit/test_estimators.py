"""Each estimator a project may choose builds the pipeline docs/project.md promises, seeded."""

import pytest
from pydantic import BaseModel
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge

from service.train.estimators import (
    DEFAULT_ESTIMATOR,
    TASK_ESTIMATORS,
    HistGradientBoostingSpec,
    LogisticRegressionSpec,
    RandomForestSpec,
    RidgeSpec,
    build,
)

pytestmark = pytest.mark.unit


def test_each_task_has_its_estimators_and_a_default_among_them():
    assert TASK_ESTIMATORS == {
        "classification": ("logistic_regression", "random_forest", "hist_gradient_boosting"),
        "regression": ("ridge", "random_forest", "hist_gradient_boosting"),
    }
    assert DEFAULT_ESTIMATOR == {"classification": "logistic_regression", "regression": "ridge"}


@pytest.mark.parametrize(
    ("spec", "task", "steps", "estimator", "params"),
    [
        (LogisticRegressionSpec(estimator="logistic_regression", C=0.5), "classification",
         ["impute", "scale", "estimate"], LogisticRegression, {"C": 0.5, "max_iter": 1000}),
        (RidgeSpec(estimator="ridge", alpha=2.0), "regression", ["impute", "scale", "estimate"], Ridge,
         {"alpha": 2.0}),
        (RandomForestSpec(estimator="random_forest", n_estimators=7, max_depth=3), "classification",
         ["impute", "estimate"], RandomForestClassifier,
         {"n_estimators": 7, "max_depth": 3, "min_samples_leaf": 1, "random_state": 11, "n_jobs": 1}),
        (RandomForestSpec(estimator="random_forest", min_samples_leaf=4), "regression", ["impute", "estimate"],
         RandomForestRegressor,
         {"n_estimators": 100, "max_depth": None, "min_samples_leaf": 4, "random_state": 11, "n_jobs": 1}),
        (HistGradientBoostingSpec(estimator="hist_gradient_boosting", max_iter=20), "classification",
         ["impute", "estimate"], HistGradientBoostingClassifier,
         {"max_iter": 20, "learning_rate": 0.1, "max_leaf_nodes": 31, "l2_regularization": 0.0,
          "early_stopping": False, "random_state": 11}),
        (HistGradientBoostingSpec(estimator="hist_gradient_boosting", learning_rate=0.05), "regression",
         ["impute", "estimate"], HistGradientBoostingRegressor,
         {"max_iter": 100, "learning_rate": 0.05, "max_leaf_nodes": 31, "l2_regularization": 0.0,
          "early_stopping": False, "random_state": 11}),
    ],
    ids=["logistic", "ridge", "forest-classifier", "forest-regressor", "boosting-classifier", "boosting-regressor"],
)
def test_build_gives_imputation_scaling_where_linear_and_the_seeded_estimator(spec, task, steps, estimator, params):
    pipeline = build(spec, task, seed=11)
    assert [name for name, _ in pipeline.steps] == steps
    assert pipeline.named_steps["impute"].strategy == "median"
    model = pipeline.named_steps["estimate"]
    assert type(model) is estimator
    assert {k: model.get_params()[k] for k in params} == params


def test_an_unknown_spec_is_a_type_error():
    class Lasso(BaseModel):
        estimator: str = "lasso"

    with pytest.raises(TypeError, match="no estimator for Lasso"):
        build(Lasso(), "regression", seed=0)
