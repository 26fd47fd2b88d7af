"""The estimators a project may choose, their parameters, and the scikit-learn pipelines they build.

Each exports to ONNX with parity (service.train.model) and retrains to the same
bytes: every random choice takes the project's seed. Missing numbers are
imputed with the median in front of every estimator, so the served model
answers a record with blanks exactly as the trained one did; linear models are
scaled too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from service.schema import Task


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def params(self) -> dict[str, Any]:
        """Give the estimator's parameters, as the bundle records them (the name included)."""
        return self.model_dump()


class LogisticRegressionSpec(_Params):
    """Logistic regression (classification), behind imputation and scaling."""

    estimator: Literal["logistic_regression"]
    C: float = Field(1.0, gt=0, description="Inverse regularisation strength.")
    max_iter: int = Field(1000, ge=10, le=100_000, description="Solver iteration cap.")


class RidgeSpec(_Params):
    """Ridge regression (regression), behind imputation and scaling."""

    estimator: Literal["ridge"]
    alpha: float = Field(1.0, ge=0, description="L2 regularisation strength.")


class RandomForestSpec(_Params):
    """A random forest (either task)."""

    estimator: Literal["random_forest"]
    n_estimators: int = Field(100, ge=1, le=2000, description="Number of trees.")
    max_depth: int | None = Field(None, ge=1, le=64, description="Deepest a tree may grow; none: unbounded.")
    min_samples_leaf: int = Field(1, ge=1, description="Fewest training rows in a leaf.")


class HistGradientBoostingSpec(_Params):
    """Histogram gradient boosting (either task)."""

    estimator: Literal["hist_gradient_boosting"]
    max_iter: int = Field(100, ge=1, le=10_000, description="Boosting iterations (trees per output).")
    learning_rate: float = Field(0.1, gt=0, le=1, description="Shrinkage of each tree.")
    max_leaf_nodes: int = Field(31, ge=2, le=4096, description="Most leaves per tree.")
    l2_regularization: float = Field(0.0, ge=0, description="L2 penalty on leaf values.")


ModelSpec = Annotated[
    Union[LogisticRegressionSpec, RidgeSpec, RandomForestSpec, HistGradientBoostingSpec],
    Field(discriminator="estimator"),
]
TASK_ESTIMATORS: dict[Task, tuple[str, ...]] = {
    "classification": ("logistic_regression", "random_forest", "hist_gradient_boosting"),
    "regression": ("ridge", "random_forest", "hist_gradient_boosting"),
}
DEFAULT_ESTIMATOR: dict[Task, str] = {"classification": "logistic_regression", "regression": "ridge"}


def build(spec: BaseModel, task: Task, seed: int) -> Pipeline:
    """Give the unfitted pipeline for `spec` and `task`: imputation, scaling where linear, the estimator."""
    steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median"))]
    if isinstance(spec, LogisticRegressionSpec):
        steps += [("scale", StandardScaler()), ("estimate", LogisticRegression(C=spec.C, max_iter=spec.max_iter))]
    elif isinstance(spec, RidgeSpec):
        steps += [("scale", StandardScaler()), ("estimate", Ridge(alpha=spec.alpha))]
    elif isinstance(spec, RandomForestSpec):
        forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
        # n_jobs=1: the trees come out the same whatever the machine, and so do the bytes.
        steps.append(("estimate", forest(n_estimators=spec.n_estimators, max_depth=spec.max_depth,
                                         min_samples_leaf=spec.min_samples_leaf, random_state=seed, n_jobs=1)))
    elif isinstance(spec, HistGradientBoostingSpec):
        boosting = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
        # early_stopping off: it would hold out a random tenth of the training rows of its own.
        steps.append(("estimate", boosting(max_iter=spec.max_iter, learning_rate=spec.learning_rate,
                                           max_leaf_nodes=spec.max_leaf_nodes,
                                           l2_regularization=spec.l2_regularization,
                                           early_stopping=False, random_state=seed)))
    else:
        raise TypeError(f"no estimator for {type(spec).__name__}")
    return Pipeline(steps)
