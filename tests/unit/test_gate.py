import pytest

from service.train.config import GateConfig
from service.train.gate import regression_failure, threshold_failures

pytestmark = pytest.mark.unit


def test_metrics_at_or_above_every_threshold_pass():
    gate = GateConfig(min_macro_f1=0.95, min_accuracy=0.9)
    assert threshold_failures({"macro_f1": 0.95, "accuracy": 0.9, "log_loss": 0.3}, gate) == []


def test_each_missed_threshold_is_named_with_both_numbers():
    gate = GateConfig(min_macro_f1=0.95, min_accuracy=0.97, max_log_loss=0.1)
    assert threshold_failures({"macro_f1": 0.9412, "accuracy": 0.96, "log_loss": 0.25}, gate) == [
        "holdout macro_f1 0.9412 is below the threshold 0.9500",
        "holdout accuracy 0.9600 is below the threshold 0.9700",
        "holdout log_loss 0.2500 is above the limit 0.1000",
    ]


def test_log_loss_is_unlimited_unless_configured():
    assert threshold_failures({"macro_f1": 1.0, "accuracy": 1.0, "log_loss": 5.0}, GateConfig()) == []


def test_a_challenger_may_lose_up_to_the_margin_and_no_more():
    assert regression_failure(challenger=0.95, champion=0.96, max_regression=0.01) is None
    assert regression_failure(challenger=0.99, champion=0.96, max_regression=0.0) is None
    assert regression_failure(challenger=0.9399, champion=0.96, max_regression=0.01) == (
        "challenger macro_f1 0.9399 regresses from the champion's 0.9600 by 0.0201, more than the allowed 0.0100"
    )


def test_gate_config_rejects_thresholds_outside_zero_to_one():
    with pytest.raises(ValueError, match="min_macro_f1"):
        GateConfig(min_macro_f1=1.5)
