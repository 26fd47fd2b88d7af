"""The A/B harness's arithmetic: new against old within 10%, each figure in its direction, and the table."""

import pytest

from scripts.bench import ab, report
from scripts.bench.report import Sample

pytestmark = pytest.mark.unit


def sample(side, scenario, rps, p99=2.0, cpu=100.0, rows=1, round_=1):
    return Sample(side, scenario, round_, rows, rps, p99 / 2, p99, 0, 100.0, cpu)


def table(new_rps=10_000.0, new_p99=2.0, new_rows_1000=500.0, new_cpu=100.0):
    """Give medians of both sides: old's figures fixed, new's as asked."""
    return report.runs([
        sample("old", "predict-1", 10_000.0, p99=2.0), sample("new", "predict-1", new_rps, p99=new_p99, cpu=new_cpu),
        sample("old", "v2-1000", 500.0, p99=40.0, cpu=2_000.0, rows=1000),
        sample("new", "v2-1000", new_rows_1000, p99=30.0, cpu=1_500.0, rows=1000),
    ])


def within(verdicts):
    return {v["figure"]: v["within"] for v in verdicts}


def test_equal_figures_are_within():
    verdicts = ab.judge(table())
    assert within(verdicts) == {"predict-1 req/s": True, "predict-1 p99 ms": True, "v2-1000 rows/s": True}
    assert [v["ratio"] for v in verdicts] == [1.0, 1.0, 1.0]


def test_throughput_may_fall_to_90_percent_and_no_lower():
    assert within(ab.judge(table(new_rps=9_000.0)))["predict-1 req/s"] is True
    assert within(ab.judge(table(new_rps=8_999.0)))["predict-1 req/s"] is False
    assert within(ab.judge(table(new_rows_1000=450.0)))["v2-1000 rows/s"] is True  # 450,000 of 500,000 rows/s
    assert within(ab.judge(table(new_rows_1000=449.0)))["v2-1000 rows/s"] is False


def test_p99_may_rise_to_110_percent_and_no_higher():
    assert within(ab.judge(table(new_p99=2.2)))["predict-1 p99 ms"] is True
    assert within(ab.judge(table(new_p99=2.21)))["predict-1 p99 ms"] is False


def test_each_figure_is_judged_in_its_own_direction():
    faster = ab.judge(table(new_rps=20_000.0, new_p99=1.0, new_rows_1000=1000.0))
    assert within(faster) == {"predict-1 req/s": True, "predict-1 p99 ms": True, "v2-1000 rows/s": True}
    assert [v["ratio"] for v in faster] == [2.0, 0.5, 2.0]
    assert [(v["op"], v["limit"]) for v in faster] == [(">=", 0.9), ("<=", 1.1), (">=", 0.9)]


def test_the_v2_1000_figure_is_rows_per_second():
    [_, _, rows] = ab.judge(table(new_rows_1000=400.0))
    assert (rows["old"], rows["new"], rows["ratio"]) == (500_000.0, 400_000.0, 0.8)


def test_a_scenario_missing_on_one_side_is_refused():
    with pytest.raises(KeyError, match="no run of new predict-1"):
        ab.judge(report.runs([sample("old", "predict-1", 1.0), sample("old", "v2-1000", 1.0, rows=1000)]))


def test_the_table_gives_both_medians_and_new_over_old_per_scenario():
    text = ab.table_text(table(new_rps=8_000.0, new_p99=3.0, new_cpu=125.0), [])
    assert "| predict-1 | req/s | 10,000 | 8,000 | 0.800 | 2.00 | 3.00 | 1.500 | 100 | 125 | 1.250 |" in text
    assert "| v2-1000 | rows/s | 500,000 | 500,000 | 1.000 | 40.00 | 30.00 | 0.750 | 2,000 | 1,500 | 0.750 |" in text


def test_the_table_ends_with_a_verdict_line_per_judged_figure():
    text = ab.table_text(table(new_rps=8_000.0), ab.judge(table(new_rps=8_000.0)))
    assert text.splitlines()[-3:] == [
        "predict-1 req/s: new/old 0.800 (wanted >= 0.90): NOT within 10%",
        "predict-1 p99 ms: new/old 1.000 (wanted <= 1.10): within 10%",
        "v2-1000 rows/s: new/old 1.000 (wanted >= 0.90): within 10%",
    ]
