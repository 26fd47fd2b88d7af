"""The quality gate: thresholds from configuration, no regression against a champion."""

import pytest

from service.bundle import load_bundle
from service.train.evaluate import champion_macro_f1
from service.train.gate import regression_failure, threshold_failures

from .conftest import GATED_BUNDLE, retrain

pytestmark = pytest.mark.model


def test_holdout_metrics_meet_the_configured_thresholds(run, config):
    metrics = run.card.metrics
    assert metrics["holdout_rows"] == 86
    failures = threshold_failures(metrics, config.gate)
    assert not failures, "; ".join(failures)


def test_the_bundle_records_every_metric_the_card_promises(run):
    metrics = load_bundle(GATED_BUNDLE).card.metrics
    assert set(metrics) == {"holdout_rows", "accuracy", "macro_f1", "log_loss", "per_class", "confusion_matrix",
                            "onnx_parity_max_abs_diff"}
    assert set(metrics["per_class"]) == {"Adelie", "Chinstrap", "Gentoo"}
    matrix = metrics["confusion_matrix"]["rows_true_columns_predicted"]
    assert sum(map(sum, matrix)) == metrics["holdout_rows"]
    assert 0 <= metrics["log_loss"] < 0.5


def test_no_regression_against_the_configured_champion(run, config):
    if config.gate.champion is None:
        pytest.skip("no champion configured (gate.champion in stopline.toml)")
    champion = champion_macro_f1(config.gate.champion, config.input_schema, run.holdout.rows, run.holdout.labels)
    failure = regression_failure(run.card.metrics["macro_f1"], champion, config.gate.max_regression)
    assert failure is None, failure


def test_the_champion_check_passes_an_equal_model_and_stops_a_weaker_one(run, config, tmp_path):
    same = champion_macro_f1(GATED_BUNDLE, config.input_schema, run.holdout.rows, run.holdout.labels)
    assert same == pytest.approx(run.card.metrics["macro_f1"])
    assert regression_failure(run.card.metrics["macro_f1"], same, config.gate.max_regression) is None
    # Heavy regularisation makes a measurably worse challenger on the same holdout.
    weak = retrain(config, tmp_path / "weak", C=0.0005)
    message = regression_failure(weak.card.metrics["macro_f1"], same, config.gate.max_regression)
    assert message is not None
    assert f"{weak.card.metrics['macro_f1']:.4f}" in message and f"{same:.4f}" in message


def test_a_champion_with_another_schema_cannot_be_compared(run, config, tmp_path):
    narrower = config.input_schema.model_copy(update={"ratios": ()})
    with pytest.raises(ValueError, match="trained on a different input schema"):
        champion_macro_f1(GATED_BUNDLE, narrower, run.holdout.rows, run.holdout.labels)
