"""The quality gate on the configured project: thresholds, champion, declared behaviour."""

import pytest

from service.train.config import PRIMARY_METRIC
from service.train.gate import regression_failure
from service.train.evaluate import champion_score

from .conftest import GATED_BUNDLE

pytestmark = pytest.mark.model

CLASSIFICATION_METRICS = {"holdout_rows", "accuracy", "macro_f1", "log_loss", "per_class", "confusion_matrix",
                          "onnx_parity_max_abs_diff"}
REGRESSION_METRICS = {"holdout_rows", "rmse", "mae", "r2", "onnx_parity_max_abs_diff"}


def test_the_gate_passes_the_trained_bundle(verdict, config, champion, record_property):
    # The report shows what the gate could not judge: a project with no declared checks, no champion.
    record_property("behaviour", f"{len(verdict.checks)} declared" if verdict.checks else "none declared")
    record_property("champion", champion.about if verdict.champion is None
                    else f"{champion.about}: {PRIMARY_METRIC[config.task]} {verdict.champion:.4f}")
    assert verdict.passed, "\n".join(verdict.failures)
    assert len(verdict.checks) == len(config.checks.all)


def test_the_holdout_is_the_configured_share_of_the_data(run, config):
    rows = run.card.metrics["holdout_rows"]
    total = rows + run.card.params["train_rows"]
    assert rows == len(run.holdout.target)
    assert abs(rows - config.holdout_fraction * total) <= 1


def test_the_bundle_records_every_metric_of_its_task(run, config):
    metrics = run.card.metrics
    if config.task == "regression":
        assert set(metrics) == REGRESSION_METRICS
        assert metrics["rmse"] >= metrics["mae"] >= 0
        return
    assert set(metrics) == CLASSIFICATION_METRICS
    assert set(metrics["per_class"]) == set(config.classes)
    matrix = metrics["confusion_matrix"]["rows_true_columns_predicted"]
    assert sum(map(sum, matrix)) == metrics["holdout_rows"]


def test_the_bundle_as_its_own_champion_passes_the_champion_check(run, config):
    metric = PRIMARY_METRIC[config.task]
    same = champion_score(GATED_BUNDLE, config, run.holdout.rows, run.holdout.target)
    assert same == pytest.approx(run.card.metrics[metric], abs=1e-6)
    assert regression_failure(run.card.metrics[metric], same, config.gate.max_regression, metric) is None
    worse = same - config.gate.max_regression - 0.001
    assert regression_failure(worse, same, config.gate.max_regression, metric) is not None


def test_a_champion_with_another_schema_cannot_be_compared(run, config):
    narrower = config.input_schema.model_copy(update={"features": config.input_schema.features[:-1], "ratios": ()})
    other = config.model_copy(update={"input_schema": narrower})
    with pytest.raises(ValueError, match="trained on a different input schema"):
        champion_score(GATED_BUNDLE, other, run.holdout.rows, run.holdout.target)
