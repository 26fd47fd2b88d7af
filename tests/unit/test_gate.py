import pytest
from pydantic import ValidationError

from service.train.config import GateConfig
from service.train.gate import GateVerdict, regression_failure, threshold_failures

pytestmark = pytest.mark.unit

CLASSIFICATION = {"accuracy": 0.925, "macro_f1": 0.922963, "log_loss": 0.297586}
REGRESSION = {"rmse": 207.510951, "mae": 84.973915, "r2": 0.863433}


def test_metrics_at_or_above_every_threshold_pass():
    gate = GateConfig(min_macro_f1=0.95, min_accuracy=0.9, max_log_loss=0.3)
    assert threshold_failures({"macro_f1": 0.95, "accuracy": 0.9, "log_loss": 0.3}, gate) == []


def test_each_missed_threshold_is_named_with_both_numbers():
    gate = GateConfig(min_macro_f1=0.95, min_accuracy=0.97, max_log_loss=0.1)
    assert threshold_failures({"macro_f1": 0.9412, "accuracy": 0.96, "log_loss": 0.25}, gate) == [
        "holdout accuracy 0.9600 is below the threshold 0.9700",
        "holdout macro_f1 0.9412 is below the threshold 0.9500",
        "holdout log_loss 0.2500 is above the limit 0.1000",
    ]


def test_a_metric_without_a_threshold_is_not_judged():
    assert threshold_failures({**CLASSIFICATION, "log_loss": 5.0}, GateConfig(min_macro_f1=0.9)) == []
    assert threshold_failures({**REGRESSION, "rmse": 1e9}, GateConfig(min_r2=0.8)) == []


def test_regression_metrics_at_their_bounds_pass():
    gate = GateConfig(max_rmse=207.510951, max_mae=84.973915, min_r2=0.863433)
    assert threshold_failures(REGRESSION, gate) == []


def test_each_missed_regression_bound_is_named_with_both_numbers():
    gate = GateConfig(max_rmse=150.0, max_mae=80.0, min_r2=0.9)
    assert threshold_failures(REGRESSION, gate) == [
        "holdout rmse 207.5110 is above the limit 150.0000",
        "holdout mae 84.9739 is above the limit 80.0000",
        "holdout r2 0.8634 is below the threshold 0.9000",
    ]


def test_r2_may_be_bounded_below_zero():
    assert threshold_failures({**REGRESSION, "r2": -0.25}, GateConfig(min_r2=-0.5)) == []
    assert threshold_failures({**REGRESSION, "r2": -0.75}, GateConfig(min_r2=-0.5)) == [
        "holdout r2 -0.7500 is below the threshold -0.5000"
    ]


def test_a_challenger_may_lose_up_to_the_margin_and_no_more():
    assert regression_failure(challenger=0.95, champion=0.96, max_regression=0.01, metric="macro_f1") is None
    assert regression_failure(challenger=0.99, champion=0.96, max_regression=0.0, metric="macro_f1") is None
    assert regression_failure(challenger=0.9399, champion=0.96, max_regression=0.01, metric="macro_f1") == (
        "challenger macro_f1 0.9399 regresses from the champion's 0.9600 by 0.0201, more than the allowed 0.0100"
    )


def test_a_regression_challenger_is_compared_by_the_metric_it_names():
    assert regression_failure(challenger=0.853433, champion=0.863433, max_regression=0.01, metric="r2") is None
    assert regression_failure(challenger=0.85, champion=0.863433, max_regression=0.01, metric="r2") == (
        "challenger r2 0.8500 regresses from the champion's 0.8634 by 0.0134, more than the allowed 0.0100"
    )
    assert regression_failure(challenger=-0.2, champion=0.1, max_regression=0.25, metric="r2") == (
        "challenger r2 -0.2000 regresses from the champion's 0.1000 by 0.3000, more than the allowed 0.2500"
    )


def test_a_verdict_passes_only_without_failures():
    assert GateVerdict(failures=[], checks={"a quiet pump is ok": None}).passed
    assert not GateVerdict(failures=["holdout r2 0.8634 is below the threshold 0.9000"], checks={}).passed


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("min_macro_f1", 1.5, "Input should be less than or equal to 1"),
        ("min_accuracy", -0.1, "Input should be greater than or equal to 0"),
        ("max_log_loss", 0.0, "Input should be greater than 0"),
        ("max_rmse", 0.0, "Input should be greater than 0"),
        ("max_mae", -1.0, "Input should be greater than 0"),
        ("min_r2", 1.01, "Input should be less than or equal to 1"),
        ("max_regression", 1.5, "Input should be less than or equal to 1"),
        ("min_f1", 0.9, "Extra inputs are not permitted"),
    ],
)
def test_gate_config_rejects_a_bound_outside_its_range_naming_the_key(key, value, message):
    with pytest.raises(ValidationError) as caught:
        GateConfig(**{key: value})
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [((key,), message)]


def test_thresholds_gives_only_the_keys_that_are_set():
    assert GateConfig(min_r2=0.8, max_mae=90.0).thresholds() == {"max_mae": 90.0, "min_r2": 0.8}
    assert GateConfig().thresholds() == {}
